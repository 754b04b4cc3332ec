#!/usr/bin/env python3
"""Writes flow-engine/tests/data/redaction/held_out.jsonl: a second labelled set for redaction,
written by hand in other words than the first (scripts/redaction-set.py), after the detector was
built and without running it while writing, so that its figure is one the detector was not
tuned on. Sentences are as callers and speech recognition produce them: no punctuation, numbers
split where people pause, digits said as words, values amid other numbers.

Markers in the templates: {mobile:FORM}, {landline:FORM}, {id:FORM}, {card:FORM}, {email:FORM};
each is filled with a random valid value (seeded) in that written form and labelled with its
span. Everything else in a sentence is not personal data and must be left alone.

    python3 scripts/redaction-held-out.py
"""

import json
import random
import re
from pathlib import Path

rng = random.Random(20261206)

ZH_DIGITS = "零一二三四五六七八九"
ZH_SPOKEN = {"0": ["零", "洞"], "1": ["一", "幺"], "2": ["二", "两"]}
EN_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def zh_words(digits, spoken=True):
    out = []
    for d in digits:
        if d.isdigit():
            choices = ZH_SPOKEN.get(d, [ZH_DIGITS[int(d)]]) if spoken else [ZH_DIGITS[int(d)]]
            out.append(rng.choice(choices))
        else:
            out.append(d)
    return "".join(out)


def en_words(digits):
    words = []
    for d in digits:
        if d == " ":
            continue
        words.append("oh" if d == "0" and rng.random() < 0.5 else EN_DIGITS[int(d)])
    return " ".join(words)


def mobile_digits():
    prefix = rng.choice(["139", "138", "186", "158", "177", "150", "188", "135", "199", "166"])
    return prefix + "".join(rng.choice("0123456789") for _ in range(8))


def landline_parts():
    area = rng.choice(["010", "021", "020", "0755", "0571", "028", "0512", "0591", "027", "0431"])
    length = 8 if len(area) == 3 else rng.choice([7, 8])
    local = rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(length - 1))
    return area, local


def id_digits():
    region = rng.choice(["110105", "310104", "440305", "330106", "510107", "320506", "350102"])
    year = rng.randint(1960, 2004)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    seq = "".join(rng.choice("0123456789") for _ in range(3))
    body = f"{region}{year:04d}{month:02d}{day:02d}{seq}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(a) * w for a, w in zip(body, weights)) % 11]
    return body + check


def luhn_complete(partial):
    total = 0
    for i, d in enumerate(reversed(partial)):
        n = int(d)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return partial + str((10 - total % 10) % 10)


def card_digits():
    length = rng.choice([16, 16, 19])
    prefix = rng.choice(["622202", "621700", "622848", "436742", "622588", "625807"])
    partial = prefix + "".join(rng.choice("0123456789") for _ in range(length - 1 - len(prefix)))
    return luhn_complete(partial)


def wrong_luhn(digits):
    last = int(digits[-1])
    return digits[:-1] + str((last + rng.randint(1, 9)) % 10)


def groups(digits, sizes, sep=" "):
    out, i = [], 0
    for size in sizes:
        out.append(digits[i : i + size])
        i += size
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(out)


def mobile(form):
    d = mobile_digits()
    return {
        "plain": d,
        "344": groups(d, [3, 4, 4]),
        "dash": groups(d, [3, 4, 4], "-"),
        "plus86": "+86 " + groups(d, [3, 4, 4]),
        "zh": zh_words(d),
        "zh_plain": zh_words(d, spoken=False),
        "zh_mixed": d[:3] + zh_words(d[3:]),
        "zh_groups": " ".join(zh_words(g) for g in groups(d, [3, 4, 4]).split()),
        "en": en_words(d),
    }[form]


def landline(form):
    area, local = landline_parts()
    return {
        "dash": f"{area}-{local}",
        "space": f"{area} {local}",
        "paren": f"({area}){local}",
        "zh": zh_words(area) + zh_words(local),
        "en": en_words(area + local),
    }[form]


def id_number(form):
    d = id_digits()
    return {
        "plain": d,
        "lower_x": d.lower(),
        "spaced": groups(d, [6, 8, 4]),
        "zh": zh_words(d[:-1]) + ("叉" if d[-1] == "X" else zh_words(d[-1])),
    }[form]


def bank_card(form):
    d = card_digits()
    return {
        "plain": d,
        "fours": groups(d, [4, 4, 4, 4]),
        "zh": zh_words(d),
        "en": en_words(d),
    }[form]


NAMES = ["wangfang", "li.na", "zhang_wei88", "chenjing2020", "liuyang.sh", "amy.lin", "tom_w", "xiaomei"]
DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com"]


def email(form):
    name, domain = rng.choice(NAMES), rng.choice(DOMAINS)
    host, tld = domain.split(".")
    return {
        "plain": f"{name}@{domain}",
        "upper": f"{name.capitalize()}@{domain.upper()}",
        "en": f"{name.replace('.', ' dot ').replace('_', ' underscore ')} at {host} dot {tld}",
        "zh": f"{name}艾特{host}点{tld}",
    }[form]


MAKERS = {"mobile": mobile, "landline": landline, "id": id_number, "card": bank_card, "email": email}
KINDS = {"mobile": "mobile", "landline": "landline", "id": "id_number", "card": "bank_card", "email": "email"}

# Values that are not personal data, for the sentences that must be left alone.
def order_number():
    return "20" + "".join(rng.choice("0123456789") for _ in range(16))


def wrong_check(id_number):
    """The ID number with a check character that is not its own."""
    return id_number[:-1] + rng.choice([c for c in "0123456789X" if c != id_number[-1]])


def tracking():
    return rng.choice(["SF", "YT", "JD", "ZTO"]) + "".join(rng.choice("0123456789") for _ in range(12))


FILLERS = {
    "order": order_number,
    "tracking": tracking,
    "badcard": lambda: wrong_luhn(card_digits()),
    "badid": lambda: wrong_check(id_digits()),
    "price": lambda: f"{rng.randint(100, 99999)}",
    "code": lambda: "".join(rng.choice("0123456789") for _ in range(6)),
}

ZH = [
    "喂你好我手机号是{mobile:plain}麻烦帮我查一下",
    "我的号码{mobile:344}你们可以打这个",
    "手机{mobile:dash}上面那个是我老公的",
    "打我电话吧{mobile:plus86}白天都在",
    "我电话是{mobile:zh}",
    "号码是{mobile:zh_groups}记一下",
    "你记一下{mobile:zh_mixed}对就这个",
    "我换号了新的是{mobile:zh_plain}以后联系这个",
    "刚才那个不对应该是{mobile:zh}",
    "收件人电话{mobile:plain}收件人是我妈",
    "快递员联系不上我你让他打{mobile:344}",
    "座机{landline:dash}上班时间打",
    "公司电话是{landline:space}找前台",
    "家里座机{landline:paren}晚上有人",
    "你打这个固话{landline:zh}",
    "身份证号{id:plain}实名认证一直不通过",
    "我身份证是{id:zh}",
    "证件号码{id:spaced}你核对一下",
    "身份证最后一位是X的{id:plain}",
    "卡号{card:plain}退款退到这张卡",
    "银行卡{card:fours}是建行的",
    "退到我的卡上卡号是{card:zh}",
    "我邮箱{email:plain}发票发这里",
    "邮箱是{email:zh}",
    "发到{email:upper}就行",
    "电话{mobile:plain}邮箱{email:plain}都可以找到我",
    "订单{order}收货电话写的是{mobile:344}",
    "我的手机尾号不对完整的是{mobile:plain}",
    "快递单号{tracking}上面留的电话是{mobile:dash}",
    "他的身份证{id:plain}电话{mobile:plain}",
    # left alone
    "订单号{order}什么时候发货",
    "快递单号{tracking}一直没更新",
    "我付了{price}块钱怎么只退了一半",
    "验证码{code}收到了",
    "客服热线400-820-8820打不通",
    "我打了95588银行说没收到退款",
    "订单编号是{order}麻烦查一下",
    "这个券码{badcard}用不了",
    "一共买了3件每件199元",
    "我是2024年3月15号下的单",
    "单号{order}和{order}是同一个人买的",
    "积分还有{price}分能换什么",
    "物流单号{tracking}显示已签收但我没收到",
    "发票号码{badid}开错了",
    "会员号{code}{code}查不到",
]

EN = [
    "hi my phone number is {mobile:plain} can you call me back",
    "you can reach me on {mobile:plus86} during the day",
    "my number is {mobile:en}",
    "call me at {mobile:344} after six",
    "the delivery phone is {mobile:dash} that's my husband",
    "my landline is {landline:dash}",
    "office number {landline:paren} ask for reception",
    "the home phone {landline:en}",
    "my ID number is {id:plain}",
    "the ID card number {id:lower_x} was rejected",
    "please refund to card {card:plain}",
    "card number {card:fours} expiry next year",
    "my card is {card:en}",
    "email me at {email:plain}",
    "my email is {email:en}",
    "send the invoice to {email:upper} please",
    "order {order} the contact number is {mobile:plain}",
    "my new number is {mobile:en} please update it",
    "it's {email:plain} or call {mobile:344}",
    "refund to {card:plain} not the old card",
    # left alone
    "my order number is {order} where is it",
    "tracking {tracking} has not moved for days",
    "I paid {price} yuan and got nothing",
    "the code {code} expired",
    "I called 400-820-8820 nobody answered",
    "the coupon {badcard} does not work",
    "I ordered 3 items on March 15 2024",
    "invoice number {badid} is wrong",
    "order {order} and order {order} were both late",
    "it cost 1,380.00 in total",
]


def fill(template, language):
    text, spans = "", []
    pos = 0
    for match in re.finditer(r"\{(\w+)(?::(\w+))?\}", template):
        text += template[pos : match.start()]
        name, form = match.group(1), match.group(2)
        if name in MAKERS:
            value = MAKERS[name](form)
            start = len(text)
            text += value
            spans.append({"start": start, "end": len(text), "kind": KINDS[name], "text": value})
        else:
            text += FILLERS[name]()
        pos = match.end()
    text += template[pos:]
    return {"text": text, "language": language, "spans": spans}


def main():
    rows = []
    # Each template three times with other values: the forms vary more than the words do.
    for _ in range(3):
        rows += [fill(t, "zh") for t in ZH]
        rows += [fill(t, "en") for t in EN]
    out = Path(__file__).resolve().parent.parent / "flow-engine/tests/data/redaction/held_out.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    spans = sum(len(r["spans"]) for r in rows)
    print(f"{len(rows)} sentences, {spans} spans -> {out}")


main()
