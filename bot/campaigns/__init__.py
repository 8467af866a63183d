"""Campaigns: an admin invites a channel or a list of people to get their headshots by a deadline.

`model` holds what is stored, `desk` starts campaigns and reads rosters (admins only),
`worker` sends each invitation and reminder exactly once, paced under the platform's limits,
and `words` is what people read.
"""
