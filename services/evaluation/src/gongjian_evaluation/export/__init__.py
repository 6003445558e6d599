"""Published results as documents: a cycle's ranking as XLSX and an assessment's explanation as a
printable page, handed out by short-lived signed links (``gongjian_kit.files``)."""
