"""The GoDark venue: plain-Python domain code with no web or GraphQL imports."""
