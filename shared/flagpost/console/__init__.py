"""The reviewer console: one static page, committed as is (no build step, no CDN)."""
