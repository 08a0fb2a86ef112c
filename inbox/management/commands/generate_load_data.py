"""Realistic inbox volume for benchmarks, fast: COPY straight into PostgreSQL.

    python manage.py generate_load_data --conversations 100000 --messages 1000000
    python manage.py generate_load_data ... --realistic-times --days 90   (for bench/reports.py)

One tenant (`--tenant`, created if missing) gets agents, channels of the three providers,
labels, contacts and conversations (statuses, assignees, ad attribution, labels, read
markers) and messages in Thai, Vietnamese, English and Indonesian spread over two years.
With --realistic-times the threads follow a shop's day instead (`_realistic_thread`):
customers write mostly by day and in the evening (the tenant's timezone), a bot answers some
within seconds, an agent answers after a log-normal wait (median ~4 min) — the next morning
when the message came at night — and resolved conversations end with a resolution row (some
are resolved, reopened by the customer and resolved again), as the reports read them.
Ids are reserved from the sequences and rows streamed with COPY; the trigram search index
is dropped during the load and rebuilt after (much faster than maintaining it row by row).
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from inbox.models import Channel, Label
from inbox.providers import registry
from inbox.services.tallies import tally_fold
from tenants.models import Membership, Tenant

THAI = [
    "สวัสดีครับ ขอราคาเสื้อสีแดงไซส์ใหญ่หน่อยครับ",
    "สินค้ามีพร้อมส่งไหมคะ",
    "อยากได้ผ้าไหมสีฟ้าค่ะ ส่งกรุงเทพกี่วัน",
    "โอนเงินแล้วนะคะ รบกวนเช็คให้ด้วย",
    "รองเท้ารุ่นนี้มีเบอร์ 42 ไหมครับ",
    "ขอบคุณมากค่ะ ได้รับของแล้ว",
    "จองคิวตัดผมวันเสาร์ได้ไหมคะ",
]
VIETNAMESE = [
    "Cho tôi hỏi giá áo màu đỏ được không?",
    "Shop ơi áo dài này còn size M không ạ",
    "Mình muốn đặt lịch làm móng chiều thứ bảy",
    "Đã chuyển khoản rồi nhé, kiểm tra giúp mình",
    "Giao hàng đến Hà Nội mất mấy ngày vậy shop?",
    "Cảm ơn shop, hàng đẹp lắm",
    "Có giảm giá cho đơn hàng thứ hai không?",
]
ENGLISH = [
    "Hi, is this still available?",
    "Do you ship to Chiang Mai?",
    "How much is the blue dress in size S?",
    "I would like a refund for order {n}",
    "Can I book a table for four tonight?",
    "Thanks, received it today!",
    "What are your opening hours on Sunday?",
]
INDONESIAN = [
    "Kak, ready stok warna hitam?",
    "Ongkir ke Surabaya berapa ya kak",
    "Sudah transfer ya kak, mohon dicek",
    "Bisa COD tidak?",
]
AGENT_REPLIES = [
    "Yes, it is available! Would you like to order?",
    "มีค่ะ ส่งได้ภายใน 2 วันค่ะ",
    "Dạ còn ạ, bạn cho mình xin địa chỉ nhé",
    "Ready kak, silakan diorder",
    "We have sent your tracking number by email.",
]
CZECH = [
    "Dobrý den, máte tuto bundu ve velikosti M?",
    "Kolik stojí doprava do Brna?",
    "Zaplatil jsem převodem, prosím o kontrolu",
    "Děkuji, zboží dorazilo v pořádku",
]
JAPANESE = [
    "こんにちは、この商品の在庫はありますか？",
    "送料はいくらですか",
    "振り込みました。確認お願いします",
    "ありがとうございます、届きました",
]
# Shop words appended to customers' messages with Zipf frequencies (the word of rank r is
# drawn with weight 1/r), so a 10M-message tenant has common words (the first of each list,
# in several % of the language's messages) and a long tail of rarer ones.
SHOP_WORDS = {
    "th": ["ราคา", "ส่งฟรี", "ผ้าไหม", "ไซส์", "สีดำ", "โปรโมชั่น", "เก็บเงินปลายทาง", "ลดราคา",
           "กระเป๋า", "ครีมกันแดด", "เคสมือถือ", "หมวกไหมพรม"],
    "vi": ["giá", "ship cod", "áo dài", "size", "màu đen", "khuyến mãi", "freeship", "đổi trả",
           "túi xách", "kem chống nắng", "ốp điện thoại", "mũ len"],
    "en": ["price", "free shipping", "refund", "size", "black", "discount", "cash on delivery",
           "exchange", "handbag", "sunscreen", "phone case", "wool hat"],
    "id": ["harga", "gratis ongkir", "ukuran", "warna hitam", "diskon", "bayar di tempat",
           "tukar", "tas", "tabir surya", "casing hp", "topi rajut"],
    "cs": ["cena", "doprava zdarma", "velikost", "černá", "sleva", "dobírka", "výměna",
           "kabelka", "opalovací krém", "obal na mobil", "čepice"],
    "ja": ["値段", "送料無料", "サイズ", "黒", "割引", "代引き", "交換", "バッグ", "日焼け止め",
           "スマホケース", "ニット帽"],
}  # fmt: skip
# Rare phrases: each in about one message in 100,000 (RARE) or one in 2,000,000 (VERY_RARE).
RARE = ["water damaged parcel", "hộp bị móp méo", "กล่องบุบเสียหาย", "paket basah kuyup"]
VERY_RARE = ["lost my grandmother's brooch", "nhẫn cưới bị thất lạc"]
FIRST = ["Somchai", "Nguyễn", "Ayu", "Malee", "Trần", "Budi", "Anna", "Lê", "Siti", "John"]
LAST = ["Sukjai", "Văn An", "Lestari", "Wong", "Thị Hoa", "Santoso", "Smith", "Minh", "Rahma"]
LABELS = ["vip", "new lead", "complaint", "wholesale", "follow up", "paid", "booking", "spam"]
STATUSES = ["open"] * 6 + ["pending", "resolved", "resolved", "snoozed"]
EPOCH = datetime.now(UTC)
MSG_TENANT_RECENT = (
    "CREATE INDEX IF NOT EXISTS msg_tenant_recent ON inbox_message "
    "(tenant_id, created_at DESC, id DESC)"
)
LANGUAGE_OF = {
    id(THAI): "th", id(VIETNAMESE): "vi", id(ENGLISH): "en", id(INDONESIAN): "id",
    id(CZECH): "cs", id(JAPANESE): "ja",
}  # fmt: skip


class Vocabulary:
    """What a customer's message adds to its template sentence (its own random stream, so
    the rest of the data is drawn as before)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed + 1)
        self.weights = {
            lang: [1 / r for r in range(1, len(w) + 1)] for lang, w in SHOP_WORDS.items()
        }

    def extend(self, text: str, lang: str) -> str:
        rng = self.rng
        words = SHOP_WORDS[lang]
        extra = rng.choices(words, weights=self.weights[lang], k=rng.choice((0, 1, 1, 2, 3)))
        parts = [text, *extra]
        roll = rng.random()
        if roll < 0.00001 * len(RARE):
            parts.append(RARE[int(roll / 0.00001)])
        elif roll < 0.00001 * len(RARE) + 0.0000005 * len(VERY_RARE):
            parts.append(rng.choice(VERY_RARE))
        if rng.random() < 0.03:
            parts.append(f"0{rng.choice('689')}{rng.randint(10000000, 99999999)}")
        return " ".join(parts)


def _reserve_ids(cursor, table: str, count: int) -> int:
    """Reserve `count` ids from the table's sequence; return the first."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    seq = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [seq])
    first = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s)", [seq, first + count])
    return first


class Command(BaseCommand):
    help = "Generate a large realistic inbox (COPY-based) for benchmarks."
    # What handle() sets from its options (the demo calls _load directly with these).
    realistic = False
    span = 730 * 86400
    zone = ZoneInfo("UTC")
    vocabulary = False  # Zipf shop words, rare phrases, phone numbers, Czech and Japanese

    def add_arguments(self, parser):
        parser.add_argument("--conversations", type=int, default=10_000)
        parser.add_argument("--messages", type=int, default=100_000)
        parser.add_argument("--tenant", default="load-test", help="tenant slug")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--realistic-times",
            action="store_true",
            help="a shop's daily rhythm, bot and agent response times, resolutions (reports)",
        )
        parser.add_argument(
            "--days", type=int, default=730, help="how far back conversations start"
        )
        parser.add_argument("--timezone", default="UTC", help="a new tenant's timezone")
        parser.add_argument(
            "--keep-search-index",
            action="store_true",
            help="do not drop/rebuild the trigram index around the load",
        )

    def handle(self, *args, **options):
        rng = random.Random(options["seed"])
        n_conv, n_msg = options["conversations"], options["messages"]
        started = time.monotonic()
        tenant, _created = Tenant.objects.get_or_create(
            slug=options["tenant"],
            defaults={"name": f"Load test {options['tenant']}", "timezone": options["timezone"]},
        )
        agents = self._agents(tenant)
        channels = self._channels(tenant)
        labels = [
            Label.objects.get_or_create(tenant=tenant, name__iexact=name, defaults={"name": name})[
                0
            ].pk
            for name in LABELS
        ]
        drop = not options["keep_search_index"]
        with connection.cursor() as cursor:
            if drop:
                cursor.execute("DROP INDEX IF EXISTS msg_text_search_trgm")
                cursor.execute("DROP INDEX IF EXISTS msg_tenant_recent")
            with transaction.atomic():
                self.realistic = options["realistic_times"]
                self.span = options["days"] * 86400
                self.zone = ZoneInfo(tenant.timezone or "UTC")
                self.vocabulary = True
                self._load(cursor, rng, tenant, agents, channels, labels, n_conv, n_msg)
            if drop:
                t = time.monotonic()
                cursor.execute(
                    "CREATE INDEX IF NOT EXISTS msg_text_search_trgm ON inbox_message "
                    "USING gin (parley_search_norm(text) gin_trgm_ops)"
                )
                self.stdout.write(f"search index rebuilt in {time.monotonic() - t:.1f}s")
                t = time.monotonic()
                cursor.execute(MSG_TENANT_RECENT)
                self.stdout.write(f"recency index rebuilt in {time.monotonic() - t:.1f}s")
            queue_to_teams(cursor, tenant)
            # The triggers wrote one tally row per conversation and label: fold them, as the
            # minute's fold task would.
            t, folded = time.monotonic(), 0
            while changed := tally_fold():
                folded += changed
            self.stdout.write(f"tally: {folded} changes folded in {time.monotonic() - t:.1f}s")
            cursor.execute("VACUUM (ANALYZE) inbox_conversationtally")
            # VACUUM as autovacuum would after such a load: the visibility map lets the
            # index-only plans of counts and search skip the heap.
            cursor.execute("VACUUM (ANALYZE) inbox_conversation")
            cursor.execute("VACUUM (ANALYZE) inbox_message")
            cursor.execute("VACUUM (ANALYZE) inbox_contact")
            cursor.execute("VACUUM (ANALYZE) inbox_contactidentity")
            cursor.execute("VACUUM (ANALYZE) inbox_conversation_labels")
            cursor.execute("VACUUM (ANALYZE) inbox_conversationread")
        self.stdout.write(
            self.style.SUCCESS(
                f"tenant {tenant.slug}: {n_conv} conversations, {n_msg} messages "
                f"in {time.monotonic() - started:.1f}s"
            )
        )

    def _agents(self, tenant):
        from django.contrib.auth import get_user_model

        user_model = get_user_model()
        users = []
        for i in range(10):
            email = f"agent{i}@{tenant.slug}.example.com"
            user, _created = user_model.objects.get_or_create(
                username=email, defaults={"email": email, "first_name": f"Agent {i}"}
            )
            Membership.objects.get_or_create(
                user=user, tenant=tenant, defaults={"role": "owner" if i == 0 else "agent"}
            )
            users.append(user.pk)
        return users

    def _channels(self, tenant):
        channels = []
        for provider in ("tiktok", "whatsapp", "messenger"):
            channel, _created = Channel.objects.get_or_create(
                tenant=tenant,
                provider=provider,
                account_id=f"{tenant.slug}-{provider}",
                defaults={"name": f"{provider.title()} shop"},
            )
            channels.append((channel.pk, provider))
        return channels

    def _load(self, cursor, rng, tenant, agents, channels, labels, n_conv, n_msg):
        t = time.monotonic()
        contact_first = _reserve_ids(cursor, "inbox_contact", n_conv)
        conv_first = _reserve_ids(cursor, "inbox_conversation", n_conv)
        msg_first = _reserve_ids(cursor, "inbox_message", n_msg)
        tid = tenant.pk
        # Messages per conversation: a skewed split of n_msg (some very long threads).
        weights = [rng.paretovariate(1.5) for _ in range(n_conv)]
        total = sum(weights)
        per_conv = [max(1, int(w / total * n_msg)) for w in weights]
        diff = n_msg - sum(per_conv)
        i = 0
        while diff != 0:
            j = i % n_conv
            if diff > 0:
                per_conv[j] += 1
                diff -= 1
            elif per_conv[j] > 1:
                per_conv[j] -= 1
                diff += 1
            i += 1

        contact_cols = (
            "id, tenant_id, name, avatar_url, phone, email, notes, custom_attributes, "
            "created_at, updated_at"
        )
        with cursor.copy(f"COPY inbox_contact ({contact_cols}) FROM STDIN") as copy:
            for k in range(n_conv):
                name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {k}"
                phone = f"+66 8{rng.randint(10000000, 99999999)}" if rng.random() < 0.4 else ""
                email = f"customer{k}@example.com" if rng.random() < 0.2 else ""
                copy.write_row(
                    (contact_first + k, tid, name, "", phone, email, "", "{}", EPOCH, EPOCH)
                )
        # Each contact's id on the channel of its conversation (no rng: the data drawn below
        # stays what it was before identities were generated).
        with cursor.copy(
            "COPY inbox_contactidentity (tenant_id, contact_id, channel_id, external_id, username)"
            " FROM STDIN"
        ) as copy:
            for k in range(n_conv):
                channel_id, provider = channels[k % len(channels)]
                copy.write_row(
                    (tid, contact_first + k, channel_id, *_identity(provider, contact_first + k))
                )
        self.stdout.write(f"contacts {time.monotonic() - t:.1f}s")

        conv_cols = (
            "id, tenant_id, channel_id, contact_id, provider_conversation_id, status, "
            "snoozed_until, priority, assignee_id, last_message_at, last_message_preview, "
            "last_customer_message_at, business_messages_since_customer, source, ad_id, "
            "campaign_id, campaign_name, tracking_id, attribution, created_at, updated_at"
        )
        msg_cols = (
            "id, tenant_id, conversation_id, channel_id, kind, direction, author_kind, "
            "author_user_id, rule_name, text, provider_message_id, status, error_code, "
            "error_message, attempts, metadata, created_at, updated_at"
        )
        span = self.span  # two years by default
        vocabulary = Vocabulary(rng.randint(0, 2**31)) if self.vocabulary else None
        conv_rows, label_rows, read_rows = [], [], []
        msg_id = msg_first
        t = time.monotonic()
        with cursor.copy(f"COPY inbox_message ({msg_cols}) FROM STDIN") as copy:
            for k in range(n_conv):
                conv_id = conv_first + k
                channel_id, provider = channels[k % len(channels)]
                count = per_conv[k]
                start = EPOCH - timedelta(seconds=rng.randint(3600, span))
                moment = start
                if self.vocabulary:
                    lang = rng.choice((THAI, VIETNAMESE, ENGLISH, INDONESIAN, CZECH, JAPANESE))
                else:
                    lang = rng.choice((THAI, VIETNAMESE, ENGLISH, INDONESIAN))
                assignee = rng.choice(agents) if rng.random() < 0.6 else None
                last_customer = None
                last_text = ""
                status = None
                had_reply = False
                if self.realistic:
                    start = _daytime(rng, start, self.zone)
                    thread, status = _realistic_thread(rng, start, count, assignee, self.zone)
                    for kind, direction, author_kind, author, moment, meta in thread:
                        text = (
                            rng.choice(lang).replace("{n}", str(rng.randint(1000, 9999)))
                            if direction == "in"
                            else rng.choice(AGENT_REPLIES)
                        )
                        if kind == "activity":
                            text = "resolved"
                        copy.write_row((
                            msg_id, tid, conv_id, channel_id, kind, direction, author_kind,
                            author, "", text, f"lm-{msg_id}" if kind == "message" else None,
                            "received" if direction == "in" else "sent", "", "", 0,
                            json.dumps(meta), moment, moment,
                        ))  # fmt: skip
                        if direction == "in" and kind == "message":
                            last_customer = moment
                        if kind == "message":
                            last_text = text
                        msg_id += 1
                for m in range(0 if self.realistic else count):
                    moment = moment + timedelta(seconds=rng.randint(5, 3600))
                    if moment > EPOCH:
                        moment = EPOCH - timedelta(seconds=count - m)
                    inbound = m == 0 or rng.random() < 0.55
                    if inbound:
                        text = rng.choice(lang).replace("{n}", str(rng.randint(1000, 9999)))
                        if vocabulary:
                            text = vocabulary.extend(text, LANGUAGE_OF[id(lang)])
                        row = (
                            msg_id, tid, conv_id, channel_id, "message", "in", "customer", None,
                            "", text, f"lm-{msg_id}", "received", "", "", 0, "{}", moment, moment,
                        )  # fmt: skip
                        last_customer = moment
                    elif rng.random() < 0.08:
                        text = "Customer asked for a discount, check with the manager."
                        row = (
                            msg_id, tid, conv_id, channel_id, "note", "out", "agent", assignee,
                            "", text, None, "sent", "", "", 0, "{}", moment, moment,
                        )  # fmt: skip
                    else:
                        had_reply = True
                        bot = rng.random() < 0.15
                        text = rng.choice(AGENT_REPLIES)
                        sent = rng.choice(("sent", "delivered", "read", "read", "failed"))
                        row = (
                            msg_id, tid, conv_id, channel_id, "message", "out",
                            "bot" if bot else "agent", None if bot else assignee,
                            "price keywords" if bot else "", text, f"lm-{msg_id}", sent,
                            "131047" if sent == "failed" else "",
                            "Re-engagement message" if sent == "failed" else "",
                            1, "{}", moment, moment,
                        )  # fmt: skip
                    copy.write_row(row)
                    if row[4] == "message":
                        last_text = text
                    msg_id += 1
                if status is None and had_reply:
                    # (Before: the last reply's delivery status leaked into the conversation's
                    # status. Drawn from the id, so the rest of the data stays as it was.)
                    status = STATUSES[conv_id % len(STATUSES)]
                status = status or rng.choice(STATUSES)
                from_ad = rng.random() < 0.3
                campaign = f"cmp-{rng.randint(1, 40)}" if from_ad else ""
                conv_rows.append(
                    (
                        conv_id, tid, channel_id, contact_first + k, f"pc-{conv_id}", status,
                        EPOCH + timedelta(days=1) if status == "snoozed" else None,
                        rng.choice((0, 0, 0, 1, 2, 3, 4)), assignee, moment, last_text[:200],
                        last_customer, 0,
                        registry.get(provider).AD_SOURCE if from_ad else "organic",
                        f"ad-{rng.randint(1, 400)}" if from_ad else "", campaign,
                        f"Campaign {campaign}" if from_ad else "", "",
                        json.dumps({"campaign_id": campaign} if from_ad else {}), start, moment,
                    )
                )  # fmt: skip
                for label in rng.sample(labels, k=rng.choice((0, 0, 1, 1, 2, 3))):
                    label_rows.append((conv_id, label))
                if rng.random() < 0.5:
                    read_rows.append((tid, conv_id, rng.choice(agents), moment))
        self.stdout.write(f"messages {time.monotonic() - t:.1f}s")
        t = time.monotonic()
        with cursor.copy(f"COPY inbox_conversation ({conv_cols}) FROM STDIN") as copy:
            for row in conv_rows:
                copy.write_row(row)
        with cursor.copy(
            "COPY inbox_conversation_labels (conversation_id, label_id) FROM STDIN"
        ) as copy:
            for row in label_rows:
                copy.write_row(row)
        with cursor.copy(
            "COPY inbox_conversationread (tenant_id, conversation_id, user_id, last_read_at) "
            "FROM STDIN"
        ) as copy:
            for row in read_rows:
                copy.write_row(row)
        self.stdout.write(f"conversations, labels, reads {time.monotonic() - t:.1f}s")


# A shop's day: how likely a customer writes in each local hour (0–23).
HOURLY = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 12, 12, 10, 9, 9, 9, 10, 11, 12, 12, 10, 6, 3]
OPENS, CLOSES = 9, 21  # the team answers between 09:00 and 21:00 local time


def _daytime(rng, at: datetime, zone) -> datetime:
    """The same local day at an hour drawn from the shop's daily rhythm."""
    local = at.astimezone(zone)
    hour = rng.choices(range(24), weights=HOURLY)[0]
    local = local.replace(hour=hour, minute=rng.randint(0, 59), second=rng.randint(0, 59))
    return min(local.astimezone(UTC), EPOCH - timedelta(hours=1))


def _agent_wait(rng, at: datetime, zone) -> datetime:
    """When an agent answers a customer who wrote at `at`: log-normal (median ~4 min, long
    tail) while the team works, the next morning (plus the same wait) at night."""
    wait = timedelta(seconds=min(6 * 3600, rng.lognormvariate(5.5, 1.1)))
    local = at.astimezone(zone)
    if local.hour >= CLOSES:
        local = (local + timedelta(days=1)).replace(hour=OPENS, minute=0, second=0)
    elif local.hour < OPENS:
        local = local.replace(hour=OPENS, minute=0, second=0)
    return local.astimezone(UTC) + wait


def _realistic_thread(rng, start: datetime, count: int, assignee, zone):
    """`count` rows of one conversation: customer turns, bot and agent answers with realistic
    waits, notes, and a resolution row when it ends resolved (maybe an earlier resolution the
    customer reopened). Returns the rows and the conversation's status."""
    rows = []
    moment = start
    resolved_status = rng.random() < 0.6
    agent = assignee or None
    while len(rows) < count:
        for _ in range(rng.choice((1, 1, 2, 3))):  # the customer's turn
            rows.append(("message", "in", "customer", None, moment, {}))
            moment += timedelta(seconds=rng.randint(5, 90))
        if rng.random() < 0.15:  # an auto-reply, seconds later
            rows.append(("message", "out", "bot", None, moment + timedelta(seconds=3), {}))
        if rng.random() < 0.9:  # the team's turn
            moment = _agent_wait(rng, moment, zone)
            for _ in range(rng.choice((1, 1, 2))):
                rows.append(("message", "out", "agent", agent, moment, {}))
                moment += timedelta(seconds=rng.randint(10, 120))
            if rng.random() < 0.08:
                rows.append(("note", "out", "agent", agent, moment, {}))
        if resolved_status and rng.random() < 0.1 and len(rows) < count - 2:
            resolved = moment + timedelta(minutes=rng.randint(5, 120))
            rows.append(("activity", "out", "agent", agent, resolved, {"status": "resolved"}))
            moment = resolved + timedelta(hours=rng.randint(2, 72))  # the customer comes back
        moment += timedelta(seconds=int(rng.lognormvariate(7, 1.2)))
    rows = rows[: count - 1 if resolved_status else count]
    if resolved_status:
        last = rows[-1][4] if rows else start
        rows.append(
            (
                "activity",
                "out",
                "agent",
                agent,
                last + timedelta(minutes=rng.randint(2, 240)),
                {"status": "resolved"},
            )
        )
    cap = EPOCH - timedelta(seconds=1)
    rows = [
        (*r[:4], min(r[4], cap - timedelta(seconds=len(rows) - i)), r[5])
        for i, r in enumerate(rows)
    ]
    status = "resolved" if resolved_status else rng.choice(("open", "open", "pending", "snoozed"))
    return rows, status


TEAMS = ["Thai market", "Vietnam market", "Wholesale"]


def queue_to_teams(cursor, tenant) -> None:
    """Three teams; three conversations in four queued to one of them (by id, no rng)."""
    from inbox.models import Team

    teams = [Team.objects.get_or_create(tenant=tenant, name=name)[0].pk for name in TEAMS]
    cursor.execute(
        "UPDATE inbox_conversation SET team_id = (ARRAY[%s, %s, %s])[id %% 3 + 1] "
        "WHERE tenant_id = %s AND team_id IS NULL AND id %% 4 <> 0",
        [*teams, tenant.pk],
    )


def _identity(provider: str, contact_id: int) -> tuple[str, str]:
    """(external_id, username) as each provider writes them: a WhatsApp number, a TikTok id
    and username, a Messenger page-scoped id (unique per contact, so loads can repeat)."""
    if provider == "whatsapp":
        return f"668{contact_id:08d}", ""
    if provider == "tiktok":
        return f"-000cUs{contact_id:014d}", f"shopper.{contact_id}"
    return f"2400{contact_id:012d}", ""
