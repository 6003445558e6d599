"""Bulletins (信息通报): an area's figures over a period against the period before it, as a PDF
and a workbook with charts (document.py: what a bulletin holds; pdf.py, workbook.py: how it is
drawn; files.py: the documents behind signed links)."""
