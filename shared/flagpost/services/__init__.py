"""The use cases (ingest, review, dispatch, forward, outcomes, principals, statistics) over the domain,
reaching storage, keys and senders only through the small ports of `flagpost.services.ports`."""
