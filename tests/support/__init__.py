"""What the tests share: waiting on a condition, and (in ``stack``) the product assembled end to end."""
