"""Print the GraphQL SDL (``make sdl`` writes it to schema/lineage.graphql)."""

import sys

from lineagegraph.api.schema import export_sdl

sys.stdout.write(export_sdl())
