"""HTTP service and command line: FastAPI app, SPARQL endpoint, `cigraph` CLI, web page."""
