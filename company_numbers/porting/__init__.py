"""Number porting into Centrala: the rules, the checks and the request's life."""
