"""The favourites export: one zip of everyone's favourite headshot in a workspace, by a link for its admins.

`publish` issues links (admins only) and opens them again for a token; `archive` names the files
and writes `people.csv`; `routes` serves `GET /export/{token}.zip` with the gallery's headers.
"""
