"""A stand-in Atlassian site (Jira and Confluence) for the demo and the end-to-end tests."""
