"""The vector space of the ranker: one dimension per (framework, strand, level) cell.

Activities become rows of tag weights; a gap profile becomes a query vector that weighs the
next level above `current` most and further levels up to `target` less. Levels already reached
and levels beyond the target get no weight, so an activity can only score by closing a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.activities import Tag
from recommender.frameworks import Framework
from recommender.profiles import Gap

Cell = tuple[str, str, str]


@dataclass(frozen=True)
class CellSpace:
    cells: tuple[Cell, ...]
    strands: tuple[tuple[str, str], ...]
    column: dict[Cell, int]
    strand_of_cell: NDArray[np.intp]

    @property
    def cell_to_strand(self) -> sp.csr_matrix:
        """Cells × strands 0/1 matrix: sums per-cell values into per-strand values."""
        n = self.n_cells
        return sp.csr_matrix(
            (np.ones(n), (np.arange(n), self.strand_of_cell)), shape=(n, len(self.strands))
        )

    @classmethod
    def from_frameworks(cls, frameworks: Iterable[Framework]) -> CellSpace:
        cells: list[Cell] = []
        strands: list[tuple[str, str]] = []
        strand_of_cell: list[int] = []
        for framework in frameworks:
            for strand in framework.strands:
                strands.append((framework.id, strand.id))
                for level_id in framework.level_ids:
                    cells.append((framework.id, strand.id, level_id))
                    strand_of_cell.append(len(strands) - 1)
        return cls(
            cells=tuple(cells),
            strands=tuple(strands),
            column={cell: i for i, cell in enumerate(cells)},
            strand_of_cell=np.asarray(strand_of_cell, dtype=np.intp),
        )

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    def tag_column(self, tag: Tag) -> int | None:
        return self.column.get((tag.framework, tag.strand, tag.level))

    def item_matrix(self, weighted_tags: Sequence[Iterable[tuple[Tag, float]]]) -> sp.csr_matrix:
        """Row-normalised (L2) CSR matrix of tag weights; tags outside the space are dropped."""
        rows, cols, vals = [], [], []
        for row, tags in enumerate(weighted_tags):
            for tag, weight in tags:
                col = self.tag_column(tag)
                if col is not None and weight > 0:
                    rows.append(row)
                    cols.append(col)
                    vals.append(weight)
        matrix = sp.csr_matrix(
            (np.asarray(vals, dtype=np.float64), (rows, cols)),
            shape=(len(weighted_tags), self.n_cells),
        )
        matrix.sum_duplicates()
        return normalise_rows(matrix)

    def query_vector(
        self,
        framework: Framework,
        gaps: Sequence[Gap],
        *,
        further_level_decay: float,
        gap_size_exponent: float,
    ) -> NDArray[np.float64]:
        """Weights over cells for the levels each gap still has to climb (not normalised)."""
        q = np.zeros(self.n_cells, dtype=np.float64)
        weights = self.query_weights(
            framework,
            gaps,
            further_level_decay=further_level_decay,
            gap_size_exponent=gap_size_exponent,
        )
        for column, weight in weights.items():
            q[column] = weight
        return q

    def query_weights(
        self,
        framework: Framework,
        gaps: Sequence[Gap],
        *,
        further_level_decay: float,
        gap_size_exponent: float,
    ) -> dict[int, float]:
        """The non-zero entries of `query_vector`, by column."""
        weights: dict[int, float] = {}
        for gap in gaps:
            scale = gap.priority * gap.size**gap_size_exponent
            for step, rank in enumerate(range(gap.current_rank + 1, gap.target_rank + 1)):
                cell = (framework.id, gap.strand, framework.level_ids[rank])
                weights[self.column[cell]] = scale * further_level_decay**step
        return weights


def entries(
    matrix: sp.csr_matrix | sp.csc_matrix, major: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64]]:
    """The stored entries of some rows of a CSR (or columns of a CSC) matrix, in one pass.

    Returns, per entry, the position in `major` it belongs to, its minor index and its value,
    grouped by `major` and in storage order within each: numpy gathers instead of scipy's
    fancy indexing, which costs tens of microseconds per call on the ranking path.
    """
    starts = matrix.indptr[major]
    lengths = matrix.indptr[major + 1] - starts
    owner = np.arange(len(major)).repeat(lengths)
    ends = lengths.cumsum()
    at = np.arange(ends[-1] if len(ends) else 0) + (starts - ends + lengths).repeat(lengths)
    return owner, matrix.indices[at].astype(np.intp), matrix.data[at]


@dataclass(frozen=True, slots=True)
class RowLists:
    """A CSR matrix's rows as Python lists, for code that reads a few rows entry by entry (a
    request's picks): a list slice costs a fraction of a numpy slice and its `tolist`."""

    indptr: list[int]
    indices: list[int]
    data: list[float]

    @classmethod
    def of(cls, matrix: sp.csr_matrix) -> RowLists:
        return cls(matrix.indptr.tolist(), matrix.indices.tolist(), matrix.data.tolist())

    def row(self, i: int) -> tuple[list[int], list[float]]:
        """Row `i`'s column indices and values, in storage order."""
        start, end = self.indptr[i], self.indptr[i + 1]
        return self.indices[start:end], self.data[start:end]


def normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)
