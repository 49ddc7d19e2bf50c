"""Score sheets: the template we hand out (``template``) and the reading of what comes back
(``safety`` checks the file before any parser sees it, ``parse`` reads it tolerantly)."""
