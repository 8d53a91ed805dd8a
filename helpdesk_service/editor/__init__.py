"""The KB editors' side of the service: the inbox of what the bot handled badly and its feeding
(:mod:`.inbox`, :mod:`.feed`), the map of recurring problems (:mod:`.clusters`), training examples
(:mod:`.training`), article editing and publishing (:mod:`.articles`), content health (:mod:`.health`)
and the analytics computed from the stored events (:mod:`.analytics`)."""
