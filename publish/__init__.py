"""What gets written, rendered without I/O: the Jira write plan and the Confluence page regions."""
