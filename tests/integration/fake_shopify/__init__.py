"""A local fake Shopify Admin GraphQL API for the connector's tests and benchmarks."""
