"""The Rasa project (domain, stories, rules, endpoints) and its custom actions (``bot.actions``)."""
