"""Round three of the outside attack (issue 13 §1): each finding as an example, each class as a property.

Precision first: two inputs that differ in an id-bearing part (a content-id parameter, a second id in
the query, an owner, a word-like fragment, a host that is not a known instance) never share a key.
"""

from __future__ import annotations

import os
import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from flagpost.domain.normalize import NormalizeError, normalize_target, normalize_url
from flagpost.domain.normalize.platforms import facebook, instagram, tiktok, x, youtube
from flagpost.domain.normalize.platforms.base import Router
from flagpost.domain.normalize.platforms.web import GENERIC_TRACKERS

MANY = settings(max_examples=int(os.environ.get("NORMALIZE_EXAMPLES", "150")), deadline=None)

ids = st.text(string.ascii_letters + string.digits, min_size=1, max_size=12)
numbers = st.integers(1, 10**15).map(str)
video_ids = st.text(string.ascii_letters + string.digits + "_-", min_size=11, max_size=11)


def key(url: str) -> str:
    return normalize_url(url).dedup_key


def varied_case(name: str, flips: list[bool]) -> str:
    """The parameter name in a generated mix of cases: names are compared in any case."""
    return "".join(c.upper() if flip else c for c, flip in zip(name, flips + [False] * len(name), strict=False))


# ---- Findings, one example each (they merged on main) -------------------------------------------

APART = [
    # F1: a second video id in the query, on every id-bearing YouTube shape.
    ("https://youtu.be/dQw4w9WgXcQ?v=aaaaaaaaaaa", "https://youtu.be/dQw4w9WgXcQ"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ?v=aaaaaaaaaaa", "https://www.youtube.com/shorts/dQw4w9WgXcQ"),
    ("https://www.youtube.com/live/dQw4w9WgXcQ?v=aaaaaaaaaaa", "https://www.youtube.com/live/dQw4w9WgXcQ"),
    ("https://www.youtube.com/v/dQw4w9WgXcQ?v=aaaaaaaaaaa", "https://www.youtube.com/v/dQw4w9WgXcQ"),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ?v=aaaaaaaaaaa", "https://www.youtube.com/embed/dQw4w9WgXcQ"),
    # F2 and its addendum: container shapes and the content-id parameters that select one post.
    ("https://www.facebook.com/groups/123456/?multi_permalinks=111", "https://www.facebook.com/groups/123456/"),
    (
        "https://www.facebook.com/groups/123456/?multi_permalinks=111",
        "https://www.facebook.com/groups/123456/?multi_permalinks=222",
    ),
    ("https://www.facebook.com/groups/123456/?view=permalink&id=333", "https://www.facebook.com/groups/123456/"),
    ("https://www.facebook.com/groups/a/?post_id=1", "https://www.facebook.com/groups/a/"),
    ("https://www.facebook.com/groups/a/?highlighted_post_id=1", "https://www.facebook.com/groups/a/"),
    ("https://www.facebook.com/a/videos/?v=1", "https://www.facebook.com/a/videos/"),
    ("https://www.facebook.com/a/photos/?fbid=1", "https://www.facebook.com/a/photos/"),
    ("https://www.facebook.com/a/?fbid=1&set=a.1", "https://www.facebook.com/a/"),
    ("https://www.facebook.com/a/posts/?story_fbid=1", "https://www.facebook.com/a/posts/"),
    ("https://www.facebook.com/a?story_fbid=1", "https://www.facebook.com/a"),
    ("https://www.facebook.com/profile.php?id=1&fbid=2", "https://www.facebook.com/profile.php?id=1"),
    ("https://www.facebook.com/events/1/?post_id=2", "https://www.facebook.com/events/1/"),
    (
        "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa?v=dQw4w9WgXcQ",
        "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa",
    ),
    (
        "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa/live?v=dQw4w9WgXcQ",
        "https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa/live",
    ),
    ("https://www.instagram.com/a/?story_media_id=1", "https://www.instagram.com/a/"),
    ("https://www.tiktok.com/@a?item_id=1", "https://www.tiktok.com/@a"),
    ("https://www.tiktok.com/@a?is_from_webapp=1&video_id=1", "https://www.tiktok.com/@a"),
    ("https://a.tumblr.com/?post=1", "https://a.tumblr.com/"),
    ("https://www.tumblr.com/a?id=1", "https://www.tumblr.com/a"),
    ("https://x.com/a?status=1", "https://x.com/a"),
    # F3: a second id parameter on Facebook path shapes.
    ("https://www.facebook.com/reel/1?v=2", "https://www.facebook.com/reel/1"),
    ("https://www.facebook.com/a/videos/1?v=2", "https://www.facebook.com/a/videos/1"),
    ("https://www.facebook.com/a/posts/1?story_fbid=2", "https://www.facebook.com/a/posts/1"),
    ("https://www.facebook.com/profile.php?id=1&story_fbid=3", "https://www.facebook.com/profile.php?id=1"),
    # F6: word-like fragments on hosts no list names.
    (
        "https://kiwiirc.com/nextclient/irc.libera.chat/#channelA",
        "https://kiwiirc.com/nextclient/irc.libera.chat/#channelB",
    ),
    ("https://upload.disroot.org/r/AbCdEf#key1", "https://upload.disroot.org/r/AbCdEf#key2"),
    ("https://bin.disroot.org/?abc123#Key1", "https://bin.disroot.org/?abc123#Key2"),
    ("https://send.zcyph.cc/download/abc/#key1", "https://send.zcyph.cc/download/abc/#key2"),
    ("https://paste.i2pd.xyz/?abc#key1", "https://paste.i2pd.xyz/?abc"),
    # F7: the query of short-link and file shapes.
    ("https://wa.me/message/ABC?x=1", "https://wa.me/message/ABC"),
    ("https://archive.org/download/abc/f.mp4?x=1", "https://archive.org/download/abc/f.mp4?x=2"),
    ("https://archive.org/download/abc/f.mp4?x=1", "https://archive.org/download/abc/f.mp4"),
    # F9: a platform host on another port is not the platform.
    ("https://t.me:8443/x", "https://t.me/x"),
    # F12: Facebook story ids are scoped by the owner the link names.
    ("https://www.facebook.com/a/posts/1", "https://www.facebook.com/b/posts/1"),
    ("https://www.facebook.com/a/posts/1", "https://www.facebook.com/groups/x/posts/1"),
    ("https://www.facebook.com/groups/x/posts/1", "https://www.facebook.com/groups/y/posts/1"),
    ("https://www.facebook.com/a/posts/1", "https://www.facebook.com/permalink.php?story_fbid=1"),
    ("https://www.facebook.com/123", "https://www.facebook.com/profile.php?id=123"),
    # F13: hosts merely named `nitter.*`.
    ("https://nitter.example.com/a/status/1", "https://x.com/a/status/1"),
    ("https://nitter.example.com/a/status/1", "https://nitter.evil/a/status/1"),
]


@pytest.mark.parametrize(("one", "other"), APART, ids=[f"{a} | {b}" for a, b in APART])
def test_finding_is_two_targets(one: str, other: str) -> None:
    assert key(one) != key(other)


def test_a_second_video_id_makes_every_shape_a_page() -> None:
    target = normalize_url("https://youtu.be/dQw4w9WgXcQ?v=aaaaaaaaaaa")
    assert (target.platform, target.type) == ("youtube", "page")
    assert target.canonical_url == "https://youtu.be/dQw4w9WgXcQ?v=aaaaaaaaaaa"


def test_a_group_post_selected_in_the_query_is_a_page_keeping_the_query() -> None:
    target = normalize_url("https://www.facebook.com/groups/123456/?multi_permalinks=111&ref=share")
    assert (target.platform, target.type) == ("facebook", "page")
    assert target.canonical_url == "https://facebook.com/groups/123456?multi_permalinks=111"


def test_facebook_digits_are_an_object_whose_canonical_is_that_url() -> None:
    target = normalize_url("https://m.facebook.com/100064/")
    assert (target.type, target.id, target.canonical_url) == ("object", "100064", "https://www.facebook.com/100064")
    assert normalize_url("https://www.facebook.com/100064") == target
    # A tab exists on profiles and pages only: there the digits are an account id.
    assert normalize_url("https://www.facebook.com/100064/about").type == "account_id"


def test_facebook_posts_keep_their_owner_and_open() -> None:
    vanity = normalize_url("https://www.facebook.com/Some.One/posts/1")
    assert (vanity.type, vanity.id, vanity.canonical_url) == (
        "post",
        "someone_1",
        "https://www.facebook.com/someone/posts/1",
    )
    numeric = normalize_url("https://www.facebook.com/100/posts/1")
    assert numeric == normalize_url("https://www.facebook.com/permalink.php?story_fbid=1&id=100")
    grouped = normalize_url("https://www.facebook.com/groups/X/permalink/1/")
    assert (grouped.type, grouped.id, grouped.canonical_url) == (
        "group_post",
        "x/1",
        "https://www.facebook.com/groups/x/posts/1",
    )
    assert grouped.parent is not None
    assert grouped.parent.type == "group"
    for target in (vanity, numeric, grouped):
        assert target.canonical_url is not None
        assert normalize_url(target.canonical_url) == target


def test_fragments_are_kept_in_the_canonical_url_unless_navigation() -> None:
    lufi = normalize_url("https://upload.disroot.org/r/AbCdEf#key1")
    assert lufi.canonical_url == "https://upload.disroot.org/r/AbCdEf#key1"
    # Only clearly navigational fragments go: a text directive, trackers, an empty one.
    assert key("https://example.com/a#:~:text=hello") == key("https://example.com/a")
    assert key("https://example.com/a#utm_source=x") == key("https://example.com/a")
    assert key("https://example.com/a#") == key("https://example.com/a")


@pytest.mark.parametrize("url", ["http://[fe80::1%25eth0]/", "http://[fe80::1%eth0]/x"])
def test_ipv6_zone_ids_are_refused(url: str) -> None:
    with pytest.raises(NormalizeError) as refusal:
        normalize_url(url)
    assert refusal.value.reason == "illegal_host"


def test_a_platform_host_on_another_port_is_a_web_page_that_keeps_the_port() -> None:
    target = normalize_url("https://t.me:8443/x")
    assert (target.platform, target.type, target.canonical_url) == ("web", "page", "https://t.me:8443/x")
    assert normalize_url("https://t.me:443/x").type == "channel"  # the default port is no port


def test_known_nitter_instances_are_still_x() -> None:
    assert normalize_url("https://nitter.net/a/status/1") == normalize_url("https://x.com/a/status/1")
    assert normalize_url("https://nitter.evil/a/status/1").platform == "web"


def test_short_link_query_is_kept_and_trackers_are_not() -> None:
    assert normalize_url("https://wa.me/message/ABC?x=1").canonical_url == "https://wa.me/message/ABC?x=1"
    assert key("https://wa.me/message/ABC?utm_source=a") == key("https://wa.me/message/ABC")


# ---- Classes, as properties ----------------------------------------------------------------------

# (a URL of an id-bearing or container shape, the content-id parameters of its platform)
SHAPES = [
    ("https://youtu.be/dQw4w9WgXcQ", ("v",)),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", ("v",)),
    ("https://www.youtube.com/live/dQw4w9WgXcQ", ("v",)),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ", ("v",)),
    ("https://www.youtube.com/v/dQw4w9WgXcQ", ("v",)),
    ("https://www.youtube.com/e/dQw4w9WgXcQ", ("v",)),
    ("https://www.youtube.com/watch/dQw4w9WgXcQ", ("v",)),
    ("https://www.youtube.com/channel/UCaaaaaaaaaaaaaaaaaaaaaa/videos", ("v",)),
    ("https://www.youtube.com/@name", ("v",)),
    ("https://www.youtube.com/c/name", ("v",)),
    ("https://www.youtube.com/user/name", ("v",)),
    ("https://www.youtube.com/embed/live_stream?channel=UCaaaaaaaaaaaaaaaaaaaaaa", ("v",)),
    ("https://www.youtube.com/playlist?list=PLaaaaaaaaaaaa", ("v",)),
    ("https://www.facebook.com/groups/123456/", facebook._IDS),
    ("https://www.facebook.com/groups/name/about", facebook._IDS),
    ("https://www.facebook.com/someone", facebook._IDS),
    ("https://www.facebook.com/someone/videos", facebook._IDS),
    ("https://www.facebook.com/100064", facebook._IDS),
    ("https://www.facebook.com/events/1/", facebook._IDS),
    ("https://www.facebook.com/reel/1", facebook._IDS),
    ("https://www.facebook.com/someone/posts/1", facebook._IDS),
    ("https://www.facebook.com/groups/x/posts/1", facebook._IDS),
    ("https://www.facebook.com/someone/photos/1", facebook._IDS),
    ("https://www.facebook.com/profile.php?id=1", tuple(p for p in facebook._IDS if p != "id")),
    ("https://www.facebook.com/watch/?v=1", tuple(p for p in facebook._IDS if p != "v")),
    ("https://www.instagram.com/someone/", ("story_media_id", "media_id")),
    ("https://www.instagram.com/p/ABCdef123/", ("story_media_id", "media_id")),
    ("https://www.tiktok.com/@someone", ("item_id", "video_id", "aweme_id")),
    ("https://www.tiktok.com/@someone/video/1", ("item_id", "video_id", "aweme_id")),
    ("https://someblog.tumblr.com/", ("post", "id", "post_id")),
    ("https://www.tumblr.com/someblog", ("post", "id", "post_id")),
    ("https://www.tumblr.com/someblog/1", ("post", "id", "post_id")),
    ("https://x.com/someone", ("tweet_id", "status_id", "status")),
    ("https://x.com/someone/status/1", ("tweet_id", "status_id", "status")),
    ("https://www.pinterest.com/someone/", ("pin", "pin_id")),
    ("https://www.pinterest.com/someone/board/", ("pin", "pin_id")),
]


@st.composite
def shape_with_id_parameter(draw: st.DrawFn) -> tuple[str, str]:
    base, names = draw(st.sampled_from(SHAPES))
    name = draw(st.sampled_from(names))
    return base, varied_case(name, draw(st.lists(st.booleans(), max_size=len(name))))


def with_param(base: str, name: str, value: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}{name}={value}"


@MANY
@given(shape_with_id_parameter(), ids, ids)
def test_a_content_id_parameter_never_merges_with_the_shape_or_another_value(
    shape: tuple[str, str], one: str, other: str
) -> None:
    """Containers never absorb the content a parameter selects; an id-bearing path with a second id
    in the query names two things (one rule in the Router, for every platform)."""
    assume(one != other)
    base, name = shape
    plain = key(base)
    first, second = key(with_param(base, name, one)), key(with_param(base, name, other))
    assert first != plain
    assert first != second


@MANY
@given(video_ids, video_ids, st.sampled_from(["youtu.be/", "www.youtube.com/shorts/", "m.youtube.com/live/"]))
def test_two_video_ids_are_never_read_as_either(first: str, second: str, shape: str) -> None:
    assume(first != second)
    assume(not youtube.ROUTER.feature_word(first) and not youtube.ROUTER.feature_word(second))
    both = normalize_url(f"https://{shape}{first}?v={second}")
    assert both.type == "page"
    assert both.dedup_key not in {
        key(f"https://www.youtube.com/watch?v={first}"),
        key(f"https://www.youtube.com/watch?v={second}"),
    }


owner_names = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=20).filter(
    lambda name: not name.isdigit() and not facebook.ROUTER.reserved(name, 0)
)


@MANY
@given(owner_names, owner_names, numbers)
def test_facebook_story_ids_never_merge_across_owners(one: str, other: str, story: str) -> None:
    assume(one != other)
    keys = {
        key(f"https://www.facebook.com/{one}/posts/{story}"),
        key(f"https://www.facebook.com/{other}/posts/{story}"),
        key(f"https://www.facebook.com/groups/{one}/posts/{story}"),
        key(f"https://www.facebook.com/groups/{other}/posts/{story}"),
        key(f"https://www.facebook.com/permalink.php?story_fbid={story}"),
    }
    assert len(keys) == 5


feature_words = st.text(string.ascii_lowercase, min_size=2, max_size=12)
PLATFORM_ROUTERS = [
    ("www.youtube.com", youtube.ROUTER),
    ("www.facebook.com", facebook.ROUTER),
    ("www.instagram.com", instagram.ROUTER),
    ("x.com", x.ROUTER),
    ("www.tiktok.com", tiktok.ROUTER),
]


@MANY
@given(st.sampled_from(PLATFORM_ROUTERS), feature_words, ids, ids)
def test_unknown_feature_paths_keep_their_id(host_router: tuple[str, Router], word: str, one: str, other: str) -> None:
    """/<unknown word>/<id> on a platform host is a page keeping its whole path: two ids, two keys."""
    host, router = host_router
    assume(one != other and not any(router.feature_word(text) for text in (word, one, other)))
    first = normalize_url(f"https://{host}/{word}/{one}/x")
    second = normalize_url(f"https://{host}/{word}/{other}/x")
    assert first.dedup_key != second.dedup_key


fragment_text = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=24)
labels = st.text(string.ascii_lowercase, min_size=3, max_size=10)


@MANY
@given(labels, st.sampled_from(["", "/r/AbCdEf", "/download/abc/", "/nextclient/irc.libera.chat/", "/?abc123"]),
       fragment_text, fragment_text)  # fmt: skip
def test_word_like_fragments_are_identity_on_any_host(label: str, path: str, one: str, other: str) -> None:
    assume(one != other)
    # A link ending in an ellipsis was cut short and is refused (`truncated`): not a fragment's case.
    assume(not one.endswith("..") and not other.endswith(".."))
    base = f"https://{label}.example.org{path}"
    first = normalize_url(f"{base}#{one}")
    assert first.dedup_key != key(f"{base}#{other}")
    assert first.dedup_key != key(base)
    # The canonical URL keeps it (a last `.` or `,` escaped, as at the end of every canonical URL).
    assert first.canonical_url is not None
    assert "#" in first.canonical_url
    assert normalize_url(first.canonical_url) == first


@MANY
@given(labels, st.sampled_from(["com", "org", "evil", "example.com"]))
def test_a_host_named_like_a_nitter_instance_is_not_x(label: str, tld: str) -> None:
    host = f"nitter.{label}.{tld}"
    assume(host not in x._BASE_SET)
    # Not X; a subdomain of another platform's domain (`nitter.pinterest.com`) is that platform's.
    assert normalize_url(f"https://{host}/a/status/1").platform != "x"


query_names = st.text(string.ascii_lowercase + "_", min_size=1, max_size=10).filter(
    lambda name: name not in GENERIC_TRACKERS
)


@MANY
@given(query_names, ids, ids, st.integers(1, 65535))
def test_generated_query_parameters_and_ports_keep_pages_apart(name: str, one: str, other: str, port: int) -> None:
    assume(one != other and port != 443)
    assert key(f"https://example.com/a?{name}={one}") != key(f"https://example.com/a?{name}={other}")
    assert key(f"https://t.me:{port}/chan{name}") != key(f"https://t.me/chan{name}")


@pytest.mark.parametrize(
    ("type_", "id_", "url"),
    [
        ("object", "0100064", "https://www.facebook.com/100064"),
        ("post", "Some.One_1", "https://www.facebook.com/someone/posts/1"),
        ("post", "100_1", "https://www.facebook.com/100/posts/1"),
        ("group_post", "X/1", "https://www.facebook.com/groups/x/permalink/1"),
    ],
)
def test_new_facebook_tuples_are_reachable_without_a_url(type_: str, id_: str, url: str) -> None:
    assert normalize_target("facebook", type_, id_) == normalize_url(url)


# ------------------------------------------- round five: held-out id parameters (outsider's A3, A7)


@pytest.mark.parametrize(
    ("container", "param"),
    [
        ("https://www.tiktok.com/@abc", "modal_id"),  # the web app's overlay: the most shared desktop form
        ("https://www.tiktok.com/@abc", "share_item_id"),
        ("https://www.tiktok.com/@abc", "itemId"),  # camelCase of a declared name
        ("https://www.tiktok.com/@abc", "awemeId"),
        ("https://www.tiktok.com/@abc", "share_video_id"),
        ("https://www.instagram.com/abc/", "reel_id"),
        ("https://www.instagram.com/abc/", "highlight_id"),
        ("https://www.pinterest.com/abc/", "pinId"),
        ("https://www.tumblr.com/abc", "postId"),
        ("https://x.com/abc", "focalTweetId"),
        ("https://www.facebook.com/groups/123456/", "story_id"),
        ("https://www.facebook.com/groups/123456/", "permalink_id"),
        ("https://www.facebook.com/abc", "reel_id"),
    ],
)
def test_a_content_id_in_any_spelling_never_folds_into_its_container(container: str, param: str) -> None:
    one, two = f"{container}?{param}=7000000000000000001", f"{container}?{param}=7000000000000000002"
    assert key(one) != key(two), (one, two)
    assert key(one) != key(container), "the container is another target than the content it selects"


def test_declared_id_names_cover_their_other_spellings() -> None:
    from flagpost.domain.normalize.platforms.base import spellings

    assert spellings(["item_id"]) >= {"item_id", "itemid", "item-id"}
    assert key("https://www.youtube.com/watch?v=dQw4w9WgXcQ&video_id=aaaaaaaaaaa") != key(
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&video_id=bbbbbbbbbbb"
    )
