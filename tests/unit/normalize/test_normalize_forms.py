"""Per-platform tables: every form a platform serves or flaggers paste, and the one target it names."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import flagpost.domain.normalize
from flagpost.domain.normalize import Target, normalize_target, normalize_url

# (platform, type, id) -> every spelling that must name exactly that target.
FORMS: dict[tuple[str, str, str], list[str]] = {
    # --- Telegram -------------------------------------------------------------------------------
    ("telegram", "channel", "x"): [
        "t.me/x",
        "https://telegram.me/s/X?utm_source=tw",
        "hxxps://t[.]me/x",
        "tg://resolve?domain=x",
        "  https://t.me/x  ",
        "https://T.ME/x/",
        "http://www.t.me/X",
        "telegram.dog/x",
        "https://t.me/s/x",
        "tg:resolve?domain=X",
        "https://x.t.me",
        "hxxp://t(.)me/x",
        "https[:]//t[.]me/x",
        "https[://]t[.]me/x",
        "<https://t.me/x>",
        "https://t.me:443/x",
        "https://t.me/%78",
        "\u200bhttps://t.me/x\u200b",
        "https://web.telegram.org/k/#@x",
        "https://t.me/x.",
        "https://t.me\\x",
        # Facebook's outbound-link shim wraps the reported link; the wrapper is not the target.
        "https://l.facebook.com/l.php?u=https%3A%2F%2Ft.me%2Fx&h=AT0",
    ],
    ("telegram", "post", "durov/123"): [
        "https://t.me/durov/123",
        "https://t.me/s/durov/123",
        "https://t.me/Durov/123?single",
        "tg://resolve?domain=durov&post=123",
        "https://telegram.me/durov/0123",
        "https://t.me/durov/7/123",
        "hxxps://t[.]me/durov/123",
    ],
    ("telegram", "invite", "AbCdEfGhIjKlMnOp"): [
        "https://t.me/joinchat/AbCdEfGhIjKlMnOp",
        "https://t.me/+AbCdEfGhIjKlMnOp",
        "tg://join?invite=AbCdEfGhIjKlMnOp",
        "telegram.me/joinchat/AbCdEfGhIjKlMnOp",
    ],
    ("telegram", "private_post", "1234567890/55"): [
        "https://t.me/c/1234567890/55",
        "https://t.me/c/1234567890/3/55",
        "tg://privatepost?channel=1234567890&post=55",
    ],
    ("telegram", "private_chat", "1234567890"): [
        "https://t.me/c/1234567890",
        "https://web.telegram.org/a/#-1001234567890",
    ],
    ("telegram", "phone", "14155552671"): ["https://t.me/+14155552671"],
    # --- YouTube --------------------------------------------------------------------------------
    ("youtube", "video", "dQw4w9WgXcQ"): [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?v=dQw4w9WgXcQ&feature=share",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
        "https://youtu.be/dQw4w9WgXcQ?si=abcdef",
        "youtu.be/dQw4w9WgXcQ",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ",
        "https://www.youtube.com/embed/dQw4w9WgXcQ?start=10",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        "https://www.youtube.com/live/dQw4w9WgXcQ?feature=share",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVM",
        "https://www.youtube.com/v/dQw4w9WgXcQ",
        "https://www.youtube.com/watch?feature=youtu.be&v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;feature=share",
        "https://www.youtube.com/attribution_link?u=/watch%3Fv%3DdQw4w9WgXcQ%26feature%3Dshare",
        "https://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ",
        "hxxps://youtu[.]be/dQw4w9WgXcQ",
        "https://www.youtube.com/watch/dQw4w9WgXcQ",
        "https://www.facebook.com/sharer/sharer.php?u=https://youtu.be/dQw4w9WgXcQ",
    ],
    ("youtube", "playlist", "PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI"): [
        "https://www.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI",
        "https://m.youtube.com/playlist?list=PLFgquLnL59alCl_2TQvOiD5Vgm1hCaGSI&si=x",
    ],
    ("youtube", "channel", "UC_x5XG1OV2P6uZZ5FSM9Ttw"): [
        "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw",
        "https://m.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw/videos",
        "youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw/about",
    ],
    ("youtube", "handle", "googledevelopers"): [
        "https://www.youtube.com/@GoogleDevelopers",
        "https://youtube.com/@googledevelopers/videos",
        "https://m.youtube.com/@GoogleDevelopers/shorts?si=1",
    ],
    ("youtube", "custom_url", "somechannel"): [
        "https://www.youtube.com/c/SomeChannel",
        "https://www.youtube.com/c/somechannel/videos",
    ],
    ("youtube", "user", "someuser"): ["https://www.youtube.com/user/SomeUser", "youtube.com/user/someuser/videos"],
    # --- X/Twitter ------------------------------------------------------------------------------
    ("x", "post", "1445078208190291968"): [
        "https://twitter.com/jack/status/1445078208190291968",
        "https://x.com/jack/status/1445078208190291968?s=20&t=abc",
        "https://mobile.twitter.com/jack/status/1445078208190291968",
        "https://x.com/anyone_else/status/1445078208190291968/photo/1",
        "https://fxtwitter.com/jack/status/1445078208190291968",
        "https://vxtwitter.com/jack/status/1445078208190291968",
        "https://fixupx.com/jack/status/1445078208190291968",
        "https://d.fxtwitter.com/jack/status/1445078208190291968",
        "https://nitter.net/jack/status/1445078208190291968#m",
        "https://nitter.poast.org/jack/status/1445078208190291968",
        "https://twitter.com/i/web/status/1445078208190291968",
        "https://x.com/i/status/1445078208190291968",
        "https://twitter.com/statuses/1445078208190291968",
        "https://twitter.com/jack/statuses/1445078208190291968",
        "https://twitter.com/#!/jack/status/1445078208190291968",
        "https://platform.twitter.com/embed/Tweet.html?id=1445078208190291968",
        "https://twitter.com/intent/retweet?tweet_id=1445078208190291968",
        "hxxps://x[.]com/jack/status/1445078208190291968",
    ],
    ("x", "account", "jack"): [
        "https://twitter.com/jack",
        "https://x.com/Jack",
        "https://mobile.twitter.com/JACK/with_replies",
        "https://x.com/jack/media",
        "https://twitter.com/intent/user?screen_name=jack",
        "https://fxtwitter.com/jack",
        "https://x.com/jack?lang=en",
    ],
    ("x", "account_id", "12"): ["https://twitter.com/intent/user?user_id=12", "https://x.com/i/user/12"],
    # --- Facebook -------------------------------------------------------------------------------
    ("facebook", "account", "johnsmith55"): [
        "https://www.facebook.com/john.smith.55",
        "https://facebook.com/JohnSmith55",
        "https://m.facebook.com/john.smith.55/?ref=bookmarks",
        "https://mbasic.facebook.com/john.smith.55",
        "https://web.facebook.com/john.smith.55/about",
        "https://fb.com/johnsmith55",
        "https://de-de.facebook.com/john.smith.55",
        "https://www.facebook.com/pg/johnsmith55/posts",
    ],
    ("facebook", "account_id", "100064"): [
        "https://www.facebook.com/profile.php?id=100064",
        "https://m.facebook.com/profile.php?id=100064&ref=content_filter",
        "https://www.facebook.com/people/Some-Name/100064/",
        "https://www.facebook.com/p/Some-Name-100064/",
        "https://www.facebook.com/Some-Page-100064/",
        "https://www.facebook.com/100064/about",
    ],
    # facebook.com/<digits> is Facebook's generic object URL: a profile, page, post or photo id.
    ("facebook", "object", "100064"): [
        "https://www.facebook.com/100064",
        "https://m.facebook.com/100064/",
    ],
    ("facebook", "post", "10158811254396729"): [
        "https://www.facebook.com/permalink.php?story_fbid=10158811254396729",
    ],
    # The owner a link names scopes the story id (story ids are not documented to be global).
    ("facebook", "post", "someone_10158811254396729"): [
        "https://www.facebook.com/someone/posts/10158811254396729",
        "https://www.facebook.com/Some.One/posts/10158811254396729/",
    ],
    ("facebook", "group_post", "somegroup/10158811254396729"): [
        "https://www.facebook.com/groups/somegroup/posts/10158811254396729/",
        "https://www.facebook.com/groups/SomeGroup/permalink/10158811254396729/",
    ],
    # A link that names the post's owner by id keeps it: story ids are not documented to be global.
    ("facebook", "post", "4_10158811254396729"): [
        "https://m.facebook.com/story.php?story_fbid=10158811254396729&id=4",
        "https://www.facebook.com/permalink.php?story_fbid=10158811254396729&id=4",
        "https://www.facebook.com/permalink.php?id=04&story_fbid=10158811254396729&ref=share",
    ],
    ("facebook", "post", "someone_pfbid02Xy7ZabcDEFghiJKLmnoPQRstuVWXyz"): [
        "https://www.facebook.com/someone/posts/pfbid02Xy7ZabcDEFghiJKLmnoPQRstuVWXyz",
    ],
    ("facebook", "post", "1_pfbid02Xy7ZabcDEFghiJKLmnoPQRstuVWXyz"): [
        "https://www.facebook.com/story.php?story_fbid=pfbid02Xy7ZabcDEFghiJKLmnoPQRstuVWXyz&id=1",
    ],
    ("facebook", "video", "1234567890"): [
        "https://www.facebook.com/watch/?v=1234567890",
        "https://www.facebook.com/watch?v=1234567890",
        "https://m.facebook.com/watch/?v=1234567890&ref=sharing",
        "https://www.facebook.com/somepage/videos/1234567890/",
        "https://www.facebook.com/somepage/videos/some-title/1234567890/",
        "https://www.facebook.com/video.php?v=1234567890",
        "https://www.facebook.com/reel/1234567890",
        "https://web.facebook.com/watch/live/?v=1234567890",
    ],
    ("facebook", "photo", "987654321"): [
        "https://www.facebook.com/photo.php?fbid=987654321&set=a.1",
        "https://www.facebook.com/photo/?fbid=987654321",
        "https://www.facebook.com/somepage/photos/a.111/987654321/",
    ],
    ("facebook", "group", "somegroup"): [
        "https://www.facebook.com/groups/SomeGroup/",
        "https://m.facebook.com/groups/somegroup?ref=share",
    ],
    ("facebook", "event", "555"): ["https://www.facebook.com/events/555/"],
    # --- Instagram ------------------------------------------------------------------------------
    ("instagram", "post", "CxYz123abc_"): [
        "https://www.instagram.com/p/CxYz123abc_/",
        "https://instagram.com/p/CxYz123abc_",
        "https://www.instagram.com/reel/CxYz123abc_/?igsh=MWQ1ZGUxMzBkMA==",
        "https://www.instagram.com/reels/CxYz123abc_/",
        "https://www.instagram.com/tv/CxYz123abc_/",
        "https://www.instagram.com/p/CxYz123abc_/?img_index=2&igshid=abc",
        "https://www.instagram.com/p/CxYz123abc_/embed/captioned/",
        "https://www.instagram.com/someone/p/CxYz123abc_/",
        "https://m.instagram.com/p/CxYz123abc_/",
        "https://instagr.am/p/CxYz123abc_/",
        "https://www.ddinstagram.com/p/CxYz123abc_/",
        "https://d.ddinstagram.com/reel/CxYz123abc_/",
        "https://www.kkinstagram.com/p/CxYz123abc_/",
    ],
    ("instagram", "account", "some.user_1"): [
        "https://www.instagram.com/some.user_1/",
        "https://instagram.com/Some.User_1?igshid=abc",
        "https://www.instagram.com/_u/some.user_1",
        "https://ig.me/m/some.user_1",
        "https://www.instagram.com/some.user_1/reels/",
    ],
    # A story is its own target (its media id is in the path), identified within its account.
    ("instagram", "story", "some.user_1/3123456789"): [
        "https://www.instagram.com/stories/some.user_1/3123456789/",
        "https://www.instagram.com/stories/Some.User_1/3123456789?igsh=abc",
    ],
    # --- TikTok ---------------------------------------------------------------------------------
    ("tiktok", "video", "7106594312292453675"): [
        "https://www.tiktok.com/@someone/video/7106594312292453675",
        "https://www.tiktok.com/@SomeOne/video/7106594312292453675?is_from_webapp=1&sender_device=pc",
        "https://m.tiktok.com/v/7106594312292453675.html",
        "https://www.tiktok.com/embed/v2/7106594312292453675",
        "https://www.tiktok.com/embed/7106594312292453675",
        "https://www.tiktok.com/@/video/7106594312292453675",
        "https://www.tiktok.com/@someone/photo/7106594312292453675",
        "https://www.tiktok.com/share/video/7106594312292453675",
        "https://www.tiktok.com/player/v1/7106594312292453675",
    ],
    ("tiktok", "account", "someone"): [
        "https://www.tiktok.com/@someone",
        "https://tiktok.com/@SomeOne?lang=en",
        "https://m.tiktok.com/@someone",
    ],
    # --- WhatsApp -------------------------------------------------------------------------------
    ("whatsapp", "group_invite", "AbCdEfGhIjKlMnOpQrStUv"): [
        "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv",
        "chat.whatsapp.com/invite/AbCdEfGhIjKlMnOpQrStUv",
        "https://chat.whatsapp.com/AbCdEfGhIjKlMnOpQrStUv?mode=ac_t",
    ],
    ("whatsapp", "channel", "0029VaAbCdEfGhIjKlMnOp12"): [
        "https://whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
        "https://www.whatsapp.com/channel/0029VaAbCdEfGhIjKlMnOp12",
    ],
    ("whatsapp", "phone", "14155552671"): [
        "https://wa.me/14155552671",
        "https://wa.me/+14155552671?text=hi",
        "https://api.whatsapp.com/send?phone=14155552671",
        "https://web.whatsapp.com/send?phone=+1%20415%20555%202671",
    ],
    # --- Tumblr ---------------------------------------------------------------------------------
    ("tumblr", "post", "someblog/123456789"): [
        "https://someblog.tumblr.com/post/123456789/some-slug",
        "https://someblog.tumblr.com/post/123456789",
        "https://SomeBlog.tumblr.com/image/123456789",
        "https://www.tumblr.com/someblog/123456789/some-slug",
        "https://tumblr.com/someblog/123456789",
        "https://www.tumblr.com/blog/view/someblog/123456789",
    ],
    ("tumblr", "blog", "staff"): ["https://staff.tumblr.com/", "https://www.tumblr.com/staff"],
    ("tumblr", "blog", "someblog"): [
        "https://someblog.tumblr.com/",
        "https://www.tumblr.com/someblog",
        "https://www.tumblr.com/blog/someblog",
    ],
    # --- Pinterest ------------------------------------------------------------------------------
    ("pinterest", "pin", "123456789012345678"): [
        "https://www.pinterest.com/pin/123456789012345678/",
        "https://pinterest.com/pin/123456789012345678",
        "https://de.pinterest.com/pin/123456789012345678/",
        "https://www.pinterest.de/pin/123456789012345678/",
        "https://www.pinterest.co.uk/pin/123456789012345678/",
        "https://www.pinterest.com.au/pin/123456789012345678/",
        "https://www.pinterest.cl/pin/123456789012345678/",
        "https://br.pinterest.com/pin/123456789012345678/?nic_v3=1a",
        "https://www.pinterest.com/pin/some-title--123456789012345678/",
    ],
    ("pinterest", "account", "someone"): ["https://www.pinterest.com/someone/", "https://pinterest.fr/SomeOne/_saved/"],
    ("pinterest", "board", "someone/my-board"): [
        "https://www.pinterest.com/someone/my-board/",
        "https://www.pinterest.de/SomeOne/my-board",
    ],
    # Board slugs keep their case: whether Pinterest folds it is not documented.
    ("pinterest", "board", "someone/My-Board"): ["https://www.pinterest.de/SomeOne/My-Board"],
    # --- Kik, justpaste.it ----------------------------------------------------------------------
    ("kik", "account", "someone"): ["https://kik.me/someone", "kik.me/SomeOne", "https://www.kik.me/someone/"],
    ("justpaste", "paste", "a1b2c"): [
        "https://justpaste.it/a1b2c",
        "justpaste.it/a1b2c?utm_source=tg",
        "https://www.justpaste.it/a1b2c/",
        "https://justpaste.it/a1b2c/pdf",
        "hxxps://justpaste[.]it/a1b2c",
    ],
    # --- Short links (never followed) -----------------------------------------------------------
    ("web", "short_link", "bit.ly/3AbCdE"): [
        "https://bit.ly/3AbCdE",
        "bit.ly/3AbCdE",
        "https://bitly.com/3AbCdE",
        "http://j.mp/3AbCdE?utm_source=x",
        "https://bit.ly/3AbCdE+",
    ],
    ("tiktok", "short_link", "vm.tiktok.com/ZMabc123"): ["https://vm.tiktok.com/ZMabc123/"],
    ("tiktok", "short_link", "tiktok.com/t/ZTabc123"): ["https://www.tiktok.com/t/ZTabc123/"],
    ("facebook", "short_link", "fb.watch/abcDEF"): ["https://fb.watch/abcDEF/"],
    ("facebook", "short_link", "facebook.com/share/p/1AbCd"): [
        "https://www.facebook.com/share/p/1AbCd/",
        "https://m.facebook.com/share/p/1AbCd",
    ],
    ("pinterest", "short_link", "pin.it/AbC"): ["https://pin.it/AbC"],
    ("x", "short_link", "t.co/AbC123"): ["https://t.co/AbC123"],
    # --- Archives: their own targets ------------------------------------------------------------
    ("internet_archive", "snapshot", "20200101000000/t.me/x"): [
        "https://web.archive.org/web/20200101000000/https://t.me/x",
        "https://web.archive.org/web/20200101000000id_/http://t.me/x",
        "http://wayback.archive.org/web/20200101000000/t.me/x?utm_source=a",
    ],
    ("internet_archive", "item", "some-item_2020"): [
        "https://archive.org/details/some-item_2020",
        "https://archive.org/embed/some-item_2020",
    ],
    ("archive_today", "snapshot", "AbC12"): [
        "https://archive.ph/AbC12",
        "https://archive.today/AbC12",
        "https://archive.is/AbC12",
        "http://archive.li/AbC12",
        "https://archive.md/AbC12",
    ],
    # --- Generic web ----------------------------------------------------------------------------
    ("web", "page", "example.com/a/c?a=1&b=2"): [
        "http://Example.com:80/a/./b/../c?b=2&utm_source=x&a=1#:~:text=frag",
        "https://www.example.com/a/c/?a=1&b=2&fbclid=abc",
        "example.com/a/c?b=2&a=1",
        "hxxp://example[.]com/a/c?a=1&b=2",
        "https://example.com:443/a/%63?a=1&b=2&gclid=1",
        "https://example.com./a/c?a=1&b=2&mc_eid=home",
        "https://user:pass@example.com/a/c?a=1&b=2",
        "https://EXAMPLE.COM/a/c?a=1&b=2&UTM_Medium=email",
        "https://example.com/a/c?a=1&b=2&",
    ],
    ("web", "page", "xn--bcher-kva.de/%C3%A4"): [
        "https://bücher.de/ä",
        "https://BÜCHER.de/%c3%a4",
        "https://xn--bcher-kva.de/%C3%A4",
        "https://\uff42ücher.de/ä",  # full-width b: UTS-46 maps it
    ],
    ("web", "page", "example.org/Path/To/Page"): [
        "example.org/Path/To/Page",
        "https://example.org/Path/To/Page#:~:text=section",
        "https://example.org//Path/To/Page".replace("//Path", "/Path"),
    ],
    ("web", "page", "http:example.com:8080/x"): ["http://example.com:8080/x"],
    ("web", "page", "example.net/app#!/thread/42"): ["https://example.net/app#!/thread/42"],
    ("web", "page", "192.168.10.1/x"): ["http://192.168.10.1/x"],
    ("web", "page", "en.wikipedia.org/wiki/Foo_(bar)"): [
        "https://en.wikipedia.org/wiki/Foo_(bar)",
        "(https://en.wikipedia.org/wiki/Foo_(bar))",
    ],
}

CASES = [(form, expected) for expected, forms in FORMS.items() for form in forms]


@pytest.mark.parametrize(("form", "expected"), CASES, ids=[form for form, _ in CASES])
def test_every_form_names_its_target(form: str, expected: tuple[str, str, str]) -> None:
    target = normalize_url(form)
    assert (target.platform, target.type, target.id) == expected


@pytest.mark.parametrize("expected", list(FORMS), ids=["/".join(key) for key in FORMS])
def test_all_forms_of_one_target_share_one_key_and_one_target(expected: tuple[str, str, str]) -> None:
    targets = {normalize_url(form) for form in FORMS[expected]}
    assert len(targets) == 1, targets


def test_distinct_targets_in_the_table_never_share_a_key() -> None:
    keys = {normalize_url(forms[0]).dedup_key: expected for expected, forms in FORMS.items()}
    assert len(keys) == len(FORMS)


def test_the_issue_telegram_example_set_yields_one_key() -> None:
    forms = ["t.me/x", "https://telegram.me/s/X?utm_source=tw", "hxxps://t[.]me/x", "tg://resolve?domain=x"]
    assert len({normalize_url(form).dedup_key for form in forms}) == 1


def test_a_telegram_post_has_its_channel_as_parent() -> None:
    post = normalize_url("https://t.me/s/Durov/123")
    channel = normalize_url("https://t.me/durov")
    assert post.parent is not None
    assert (post.parent.type, post.parent.id, post.parent.dedup_key) == ("channel", "durov", channel.dedup_key)
    assert post.as_dict()["parent"] == {"type": "channel", "id": "durov", "dedup_key": channel.dedup_key}


def test_as_dict_has_the_contract_shape() -> None:
    target = normalize_url("https://youtu.be/dQw4w9WgXcQ")
    assert target.as_dict() == {
        "platform": "youtube",
        "type": "video",
        "id": "dQw4w9WgXcQ",
        "canonical_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "dedup_key": target.dedup_key,
    }
    assert target.dedup_key.startswith("v1:")
    assert len(target.dedup_key) == 33


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("hxxps://t[.]me/s/X/5?utm_source=a", "https://t.me/x/5"),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
        ("https://vxtwitter.com/a/status/1", "https://x.com/i/status/1"),
        ("https://m.facebook.com/profile.php?id=7", "https://www.facebook.com/profile.php?id=7"),
        ("https://instagr.am/reel/AbCdE", "https://www.instagram.com/p/AbCdE/"),
        ("https://someblog.tumblr.com/post/1/x", "https://www.tumblr.com/someblog/1"),
        ("http://Example.com:80/a/./b/../c?b=2&a=1#frag", "https://example.com/a/c?a=1&b=2#frag"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/%7euser/%2f", "https://example.com/~user/%2F"),
        ("https://example.com/100%", "https://example.com/100%25"),
    ],
)
def test_canonical_urls(url: str, canonical: str) -> None:
    assert normalize_url(url).canonical_url == canonical


# --- Non-URL targets --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "url"),
    [
        (("telegram", "channel", "X"), "t.me/x"),
        (("telegram", "channel", "@x"), "https://t.me/s/X"),
        (("Telegram", "group", " @X "), "t.me/x"),
        (("tg", "user", "x"), "t.me/x"),
        (("telegram", "post", "durov/123"), "https://t.me/durov/123"),
        (("telegram", "invite", "+AbCdEfGhIjKlMnOp"), "https://t.me/joinchat/AbCdEfGhIjKlMnOp"),
        (("telegram", "private_chat", "-1001234567890"), "https://t.me/c/1234567890"),
        (("youtube", "video", "dQw4w9WgXcQ"), "https://youtu.be/dQw4w9WgXcQ"),
        (("youtube", "handle", "@GoogleDevelopers"), "https://www.youtube.com/@googledevelopers"),
        (("twitter", "account", "@Jack"), "https://x.com/jack"),
        (("x", "status", "1445078208190291968"), "https://twitter.com/a/status/1445078208190291968"),
        (("facebook", "page", "John.Smith.55"), "https://facebook.com/johnsmith55"),
        (("instagram", "account", "@Some.User_1"), "https://instagram.com/some.user_1"),
        (("tiktok", "account", "@SomeOne"), "https://www.tiktok.com/@someone"),
        (("whatsapp", "phone", "+1 (415) 555-2671"), "https://wa.me/14155552671"),
        (("kik", "account", "SomeOne"), "https://kik.me/someone"),
        (("kik", "username", "@someone"), "kik.me/someone"),
        (("justpaste", "paste", "a1b2c"), "https://justpaste.it/a1b2c"),
        (("tumblr", "blog", "SomeBlog"), "https://someblog.tumblr.com"),
        (("pinterest", "board", "SomeOne/My-Board"), "https://www.pinterest.com/someone/My-Board/"),
    ],
)
def test_a_non_url_target_gets_the_key_of_its_url_form(target: tuple[str, str, str], url: str) -> None:
    assert normalize_target(*target) == normalize_url(url)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (("surespot", "account", " SomeOne "), ("surespot", "account", "SomeOne")),
        (("Wickr", "user", "SomeOne"), ("wickr", "account", "someone")),
        (("wickr me", "account", "someone"), ("wickr", "account", "someone")),
        (("PlayStation Network", "online_id", "Some_One-1"), ("psn", "account", "some_one-1")),
        (("psn", "account", "SOME_ONE-1"), ("psn", "account", "some_one-1")),
        (("threema", "id", "ABCD1234"), ("threema", "id", "ABCD1234")),
    ],
)
def test_app_accounts(target: tuple[str, str, str], expected: tuple[str, str, str]) -> None:
    result = normalize_target(*target)
    assert (result.platform, result.type, result.id) == expected
    assert result.canonical_url is None
    assert result.parent is None
    assert "canonical_url" in result.as_dict()


def test_surespot_keeps_case_because_the_app_never_said_names_fold() -> None:
    assert (
        normalize_target("surespot", "account", "A").dedup_key != normalize_target("surespot", "account", "a").dedup_key
    )


def test_target_is_frozen() -> None:
    target = normalize_url("t.me/x")
    assert isinstance(target, Target)
    with pytest.raises(AttributeError):
        target.id = "y"  # type: ignore[misc]


def test_the_normalizer_cannot_reach_the_network() -> None:
    """No module of the package imports a network client: a reported URL is text, never a request."""
    forbidden = {"socket", "ssl", "http", "urllib.request", "requests", "httpx", "aiohttp", "boto3", "botocore"}
    package = Path(flagpost.domain.normalize.__file__).parent
    imported: set[str] = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
    assert not {name for name in imported if name in forbidden or name.split(".")[0] in forbidden - {"urllib"}}
    assert "urllib.parse" in imported  # the scan sees imports at all
