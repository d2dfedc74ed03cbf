"""Reading a member file in batches of checked rows. Plain Python, no database.

`read_batches(table, validate, size)` yields `(rows read, valid rows, rejections, fraction read)`
for each batch of `size` valid rows. A file over `PIPELINE_MIN_BYTES` is read and checked by a
forked child process (on the other core) while the importing process de-duplicates and writes
the previous batch.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable

from .reading import ImportFileError, Table
from .validation import Rejection, ValidRow

# Files at least this large are read and validated in a child process while this one writes.
PIPELINE_MIN_BYTES = 2 * 1024 * 1024
# Rows read between two reports of how far the reading of a batch is (`batches`' `reading`).
READ_REPORT = 1_000


def read_batches(table: Table, validate, size: int, reading: Callable[[int, float], None] | None = None):
    """The file's batches, read here or by a child process by the file's size (`PIPELINE_MIN_BYTES`).
    `reading(rows read, fraction read)` is told every `READ_REPORT` rows read here (a batch of a
    small file takes the whole file; a large one's batches are read while the one before is written)."""
    if table.size >= PIPELINE_MIN_BYTES:
        return batches_from_child(table, validate, size)
    return batches(table, validate, size, reading)


def batches(table: Table, validate, size: int, reading: Callable[[int, float], None] | None = None):
    """The file in batches of `size` valid rows: (rows read, valid rows, rejections, fraction read)."""
    batch: list[ValidRow] = []
    rejections: list[Rejection] = []
    count = given = 0
    report = READ_REPORT if reading is not None else -1
    for line, cells in table.rows:
        count += 1
        if count == report and reading is not None:
            reading(count, table.progress())
            report += READ_REPORT
        outcome = validate(line, cells)
        if type(outcome) is ValidRow:
            batch.append(outcome)
            if len(batch) >= size:
                yield count, batch, rejections, table.progress()
                batch, rejections, given = [], [], count
        else:
            rejections.append(outcome)
    if batch or count > given:  # the last rows, or rejected rows after the last full batch
        yield count, batch, rejections, table.progress()


def batches_from_child(table: Table, validate, size: int):
    """The same batches, read and validated by a forked child process (on the other core) while
    this process de-duplicates and writes the previous ones. The pipe holds about one batch, so
    the child is never far ahead; it ends with the import (a pipe whose reader is gone ends it),
    touches no database, and leaves without running any clean-up of the connections it inherited."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def produce() -> None:
        receiver.close()
        try:
            for read, rows, rejections, fraction in batches(table, validate, size):
                # By column: pickling plain strings costs a few percent of pickling named tuples.
                sender.send((read, list(zip(*rows, strict=True)), rejections, fraction))
            sender.send(None)
        except BaseException as error:  # the file's own errors go to the importing process
            with contextlib.suppress(BaseException):
                sender.send(error if isinstance(error, ImportFileError) else RuntimeError(repr(error)))
        finally:
            os._exit(0)

    child = context.Process(target=produce, daemon=True)
    child.start()
    sender.close()
    try:
        while (item := receiver.recv()) is not None:
            if isinstance(item, BaseException):
                raise item
            read, columns, rejections, fraction = item
            yield read, list(zip(*columns, strict=True)), rejections, fraction
    except EOFError:
        raise RuntimeError("the process reading the file stopped unexpectedly") from None
    finally:
        receiver.close()
        child.terminate()
        child.join()
