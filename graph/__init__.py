"""Store, organisation registry, NHS fiscal time, RDF building, queries and analytics."""
