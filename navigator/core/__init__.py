"""The pure core: the map, eligibility, pathways, ranking, analytics and exports.

Nothing here imports the database, the web or the command line.
"""
