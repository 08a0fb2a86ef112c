"""What ``manage.py seed_demo`` adds for comments: a TikTok video, two Facebook posts and two
Instagram posts of the demo shop with customers' comments in Vietnamese and Thai — some with
a phone number — through the real webhook path (signed by the fakes, processed like any
webhook)."""

from __future__ import annotations

from inbox.ingest.processing import webhook_event_process
from inbox.models import Channel
from inbox.services.comment_fetch import comments_fetch, post_fetch
from inbox.simulator.fakes import graph_comments, tiktok_comments
from inbox.simulator.fakes import instagram as instagram_fake
from inbox.simulator.payloads import simulate_comment
from inbox.simulator.store import DatabaseStore

VIDEO = ("7311982046100000001", "Áo thun cotton mới về 🔥 199k – đủ size S đến XL #aothun")
FB_POSTS = [
    ("1220000000000001", "Đầm maxi đi biển ☀️ Giá ưu đãi cuối tuần, inbox để được tư vấn size"),
    ("1220000000000002", "เสื้อยืดคอตตอนรุ่นใหม่ 290 บาท ส่งฟรีทั่วประเทศ 🇹🇭"),
]
TIKTOK_COMMENTS = [
    ("Ngọc Anh", "Giá bao nhiêu vậy shop?"),
    ("Minh Tuấn", "Còn size L màu trắng không ạ? sđt 0912 345 678"),
    ("Lan Phương", "ship về Đà Nẵng mất mấy ngày shop"),
    ("Somchai", "ราคาเท่าไหร่ครับ"),
]
FB_COMMENTS = {
    FB_POSTS[0][0]: [
        ("Thu Hà", "Đầm này còn màu xanh không shop?"),
        ("Bảo Ngọc", "ib mình giá nha, zalo 0987.654.321"),
        ("Hoàng Yến", "giá?"),
    ],
    FB_POSTS[1][0]: [
        ("Nattaya", "ราคาเท่าไหร่คะ มีไซส์ XL ไหม"),
        ("Kittisak", "สนใจครับ โทร 081-234-5678"),
        ("Pimchanok", "ส่งเชียงใหม่กี่วันคะ"),
    ],
}

IG_POSTS = [
    ("17900000000000001", "Túi xách da mini 🤎 349k – 5 màu, có sẵn tại shop #tuixach"),
    ("17900000000000002", "รองเท้าผ้าใบสีขาว 590 บาท ไซส์ 36–44 พร้อมส่ง ✨"),
]
IG_COMMENTS = {
    IG_POSTS[0][0]: [
        ("Khánh Linh", "Túi này còn màu kem không shop?"),
        ("Quốc Bảo", "lấy 1 cái màu đen, gọi mình 0903 456 789 nha"),
        ("Mai Anh", "giá bao nhiêu ạ?"),
    ],
    IG_POSTS[1][0]: [
        ("Siriporn", "ไซส์ 38 มีไหมคะ"),
        ("Anucha", "สนใจครับ ติดต่อ 089 765 4321"),
        ("Waraporn", "ราคานี้รวมส่งไหมคะ"),
    ],
}


def _process(results) -> None:
    for result in results:
        if result.event_id:
            webhook_event_process(event_id=result.event_id)


def seed_comments(tenant) -> int:
    """Posts with comments on the demo's simulated TikTok, Messenger and Instagram channels."""
    channels = {
        c.provider: c
        for c in Channel.objects.for_tenant(tenant).filter(
            provider__in=["tiktok", "messenger", "instagram"]
        )
        if (c.settings or {}).get("simulator")
    }
    store = DatabaseStore()
    made = 0
    tiktok = channels.get("tiktok")
    if tiktok is not None:
        tiktok_comments.put_video(
            store, business_id=tiktok.account_id, video_id=VIDEO[0], caption=VIDEO[1]
        )
        for name, text in TIKTOK_COMMENTS:
            _process(simulate_comment(channel=tiktok, post_id=VIDEO[0], name=name, text=text))
        made += comments_fetch(channel=tiktok, post_id=VIDEO[0])
        post_fetch(channel=tiktok, post_id=VIDEO[0])
    page = channels.get("messenger")
    if page is not None:
        for post_id, caption in FB_POSTS:
            full_id = f"{page.account_id}_{post_id}"
            graph_comments.put_post(
                store, page_id=page.account_id, post_id=full_id, caption=caption
            )
            for name, text in FB_COMMENTS[post_id]:
                _process(simulate_comment(channel=page, post_id=full_id, name=name, text=text))
                made += 1
            post_fetch(channel=page, post_id=full_id)
    instagram = channels.get("instagram")
    if instagram is not None:
        for media_id, caption in IG_POSTS:
            graph_comments.put_post(
                store,
                page_id=instagram.account_id,
                post_id=media_id,
                caption=caption,
                api=instagram_fake.API_PATH,
            )
            for name, text in IG_COMMENTS[media_id]:
                _process(
                    simulate_comment(channel=instagram, post_id=media_id, name=name, text=text)
                )
                made += 1
            post_fetch(channel=instagram, post_id=media_id)
    return made
