"""The only code that talks HTTP to Jira and Confluence, through atlassian-python-api."""
