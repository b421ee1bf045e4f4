"""The GraphQL API (strawberry): types, queries, mutations, context and permissions."""
