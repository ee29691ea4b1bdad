"""An OAI-PMH 2.0 repository over a dataset folder (`colophon serve`): the six verbs, oai_dc and
marc21, sets per author and per periodical, from/until selective harvesting, resumption tokens,
and persistent deleted records from the tombstones.

`index` keeps the items of each published snapshot in SQLite beside the dataset, re-reading only
what a publication changed; `protocol` checks arguments, encodes tokens and writes documents;
`repository` answers the verbs from the index as a WSGI application; `server` runs it on waitress."""

from output.oai.index import Index, IndexStore, Item, Selection
from output.oai.protocol import OaiError, document, parse_request, xml_text
from output.oai.repository import RETRY_AFTER, Repository, Unavailable
from output.oai.server import Server, serve

__all__ = ["RETRY_AFTER", "Index", "IndexStore", "Item", "OaiError", "Repository", "Selection", "Server",
           "Unavailable", "document", "parse_request", "serve", "xml_text"]
