"""The report: one self-contained HTML page (and its numbers as JSON and CSV) from the store and `study.metrics`."""

from chainaudit.report.build import ReportFiles, build_report

__all__ = ["ReportFiles", "build_report"]
