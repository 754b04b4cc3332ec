#!/usr/bin/env python3
"""Writes flow-engine/tests/data/redaction/labelled.jsonl: sentences a caller or a bot might say,
Chinese and English, with the exact character spans of the personal data in them and their kinds.

The personal values are drawn at random but valid (a mobile prefix that exists, an ID number
with a real birth date and its check character, a card number with its Luhn digit), written in
the ways people and speech recognisers write them; the negatives are the numbers a shop's calls
are full of (order and tracking numbers, amounts, dates, times, quantities, hotlines) and
near-misses (18 digits with a wrong check character, 16 digits that fail Luhn).

Run from the repository root: python3 scripts/redaction-set.py
"""
import json
import random

rng = random.Random(20261206)

# ---------------------------------------------------------------- values

MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "145",
                   "147", "150", "151", "152", "155", "157", "158", "159", "166", "176",
                   "177", "180", "181", "182", "185", "186", "187", "188", "189", "198", "199"]


def digits(n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def mobile():
    return rng.choice(MOBILE_PREFIXES) + digits(8)


AREA_CODES = ["010", "020", "021", "022", "023", "024", "025", "027", "028", "029",
              "0571", "0755", "0512", "0311", "0351", "0731", "0898", "0769", "0591", "0532"]


def landline():
    code = rng.choice(AREA_CODES)
    local = rng.choice("2345678") + digits(7 if len(code) == 3 or rng.random() < 0.7 else 6)
    return code, local


REGIONS = ["110105", "310104", "440304", "330106", "510107", "420102", "320582", "370202",
           "610113", "210203", "350203", "500103", "120101", "430104", "530102"]
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"


def id_check(first17):
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def id_number(valid=True):
    year = rng.randint(1950, 2005)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    first17 = rng.choice(REGIONS) + f"{year:04d}{month:02d}{day:02d}" + digits(3)
    check = id_check(first17)
    if not valid:
        check = rng.choice([c for c in "0123456789X" if c != check])
    return first17 + check


def luhn_digit(partial):
    total = 0
    for i, c in enumerate(reversed(partial)):
        d = int(c)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def luhn_ok(number):
    return luhn_digit(number[:-1]) == number[-1]


CARD_PREFIXES = ["622202", "622848", "621700", "622588", "621483", "436742", "622700",
                 "6217", "6228", "4563", "5187", "6225", "6214", "6222"]


def card(valid=True):
    length = rng.choice([16, 19, 19, 16, 18])
    prefix = rng.choice(CARD_PREFIXES)
    partial = prefix + digits(length - 1 - len(prefix))
    check = luhn_digit(partial)
    if not valid:
        check = rng.choice([c for c in "0123456789" if c != check])
    return partial + check


NAMES = ["zhangsan", "li.wei", "wangfang88", "chen_jing", "liuyang2023", "amy.zhou", "tom.li",
         "jessica", "xiaoming", "huang.lei", "sun_mei", "kevin.wu", "linda1990", "zhaolei"]
DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com",
           "foxmail.com", "hotmail.com", "yahoo.com", "shop.com.cn", "aliyun.com"]


def email():
    return rng.choice(NAMES) + "@" + rng.choice(DOMAINS)


# ---------------------------------------------------------------- how numbers are written

ZH = {"0": ["零", "零", "洞"], "1": ["一", "幺", "幺"], "2": ["二", "两"], "3": ["三"], "4": ["四"],
      "5": ["五"], "6": ["六"], "7": ["七"], "8": ["八"], "9": ["九"], "X": ["X"]}
EN = {"0": ["zero", "oh"], "1": ["one"], "2": ["two"], "3": ["three"], "4": ["four"],
      "5": ["five"], "6": ["six"], "7": ["seven"], "8": ["eight"], "9": ["nine"], "X": ["X"]}
FULL = {c: chr(ord(c) + 0xFEE0) for c in "0123456789"}


def grouped(number, sizes, sep):
    out, at = [], 0
    for size in sizes:
        out.append(number[at:at + size])
        at += size
    if at < len(number):
        out.append(number[at:])
    return sep.join(p for p in out if p)


def zh_spoken(number, sizes=None, sep=""):
    words = "".join(rng.choice(ZH[c]) for c in number)
    return grouped(words, sizes, sep) if sizes else words


def en_spoken(number, sizes=None, sep=" "):
    """Words as a recogniser writes them: "oh" for some zeros, "double" for some pairs."""
    chunks = []
    at = 0
    for size in (sizes or [len(number)]):
        chunks.append(number[at:at + size])
        at += size
    if at < len(number):
        chunks.append(number[at:])
    spoken = []
    for chunk in chunks:
        words, i = [], 0
        while i < len(chunk):
            c = chunk[i]
            if i + 1 < len(chunk) and chunk[i + 1] == c and c != "X" and rng.random() < 0.5:
                words.append("double " + rng.choice(EN[c]) if c != "0" else "double zero")
                i += 2
                continue
            words.append(rng.choice(EN[c]))
            i += 1
        spoken.append(" ".join(words))
    return sep.join(spoken)


def written_mobile(m):
    return rng.choice([
        lambda: m,
        lambda: m,
        lambda: grouped(m, [3, 4, 4], " "),
        lambda: grouped(m, [3, 4, 4], "-"),
        lambda: "+86 " + m,
        lambda: "+86 " + grouped(m, [3, 4, 4], " "),
        lambda: "+86-" + m,
        lambda: "0086" + m,
        lambda: "".join(FULL[c] for c in m),
    ])()


def spoken_mobile(m, language):
    if language == "zh":
        return rng.choice([
            lambda: zh_spoken(m),
            lambda: zh_spoken(m, [3, 4, 4], "，"),
            lambda: zh_spoken(m, [3, 4, 4], " "),
            lambda: m[:3] + zh_spoken(m[3:]),
            lambda: m[:3] + " " + zh_spoken(m[3:], [4, 4], " "),
        ])()
    return rng.choice([
        lambda: en_spoken(m),
        lambda: en_spoken(m, [3, 4, 4], ", "),
        lambda: en_spoken(m, [3, 4, 4], " "),
    ])()


def written_landline(code, local):
    return rng.choice([
        lambda: f"{code}-{local}",
        lambda: f"{code}-{local}",
        lambda: f"({code}) {local}",
        lambda: f"（{code}）{local}",
        lambda: f"{code} {local}",
        lambda: f"{code}{local}",
        lambda: f"{code}-{local[:4]}-{local[4:]}",
    ])()


def spoken_landline(code, local, language):
    if language == "zh":
        return rng.choice([
            lambda: zh_spoken(code) + "，" + zh_spoken(local),
            lambda: zh_spoken(code + local),
            lambda: zh_spoken(code) + " " + zh_spoken(local, [4, 4], " "),
        ])()
    return en_spoken(code) + rng.choice([" ", ", "]) + en_spoken(local)


def written_id(i):
    return rng.choice([
        lambda: i,
        lambda: i,
        lambda: i.lower() if i.endswith("X") else i,
        lambda: grouped(i, [6, 8, 4], " "),
    ])()


def spoken_id(i, language):
    if language == "zh":
        return rng.choice([
            lambda: zh_spoken(i),
            lambda: zh_spoken(i, [6, 8, 4], "，"),
            lambda: i[:6] + zh_spoken(i[6:]),
        ])()
    return en_spoken(i, [6, 8, 4], rng.choice([" ", ", "]))


def written_card(c):
    return rng.choice([
        lambda: c,
        lambda: grouped(c, [4, 4, 4, 4], " "),
        lambda: grouped(c, [4, 4, 4, 4], "-"),
        lambda: c,
    ])()


def spoken_card(c, language):
    if language == "zh":
        return rng.choice([
            lambda: zh_spoken(c),
            lambda: zh_spoken(c, [4, 4, 4, 4], " "),
            lambda: zh_spoken(c, [4, 4, 4, 4], "，"),
        ])()
    return en_spoken(c, [4, 4, 4, 4], rng.choice([" ", ", "]))


def spoken_email(e, language):
    name, domain = e.split("@")
    if language == "zh":
        return name + rng.choice(["艾特", " 艾特 "]) + domain.replace(".", "点")
    return name + " at " + domain.replace(".", " dot ")


# ---------------------------------------------------------------- sentences

ZH_POSITIVE = {
    "mobile": ["我的手机号是{}", "手机{}，麻烦快递员到了打我电话", "你们打{}就能找到我",
               "联系电话：{}", "我换号了，新号码是{}", "收件人电话{}，姓王", "请回电{}，谢谢",
               "号码{}，白天都能接", "我老婆的电话是{}，寄给她也行", "打这个{}"],
    "landline": ["公司座机{}，工作日有人", "可以打我家里电话{}", "座机是{}，找李经理",
                 "我们办公室电话{}", "回拨{}就行", "单位电话{}转前台"],
    "id_number": ["我的身份证号是{}", "身份证{}，实名认证一直不通过", "证件号码：{}",
                  "开发票要填身份证吗？我的是{}", "我报一下身份证，{}", "身份证号码{}"],
    "bank_card": ["退款打到我的银行卡{}", "卡号{}，工商银行", "我的卡是{}，招行的",
                  "银行卡号：{}", "退到这张卡{}吧", "绑定的卡{}扣了两次钱"],
    "email": ["我的邮箱是{}", "发票发到{}", "请把电子发票发到邮箱{}", "邮箱{}，收不到验证码",
              "联系邮箱：{}"],
}
EN_POSITIVE = {
    "mobile": ["my phone number is {}", "you can reach me on {}", "call me at {} after six",
               "the delivery contact is {}", "my new number is {}", "text {} when it ships",
               "it's {}, my mobile", "please ring {}"],
    "landline": ["my office line is {}", "call our landline {}", "the home phone is {}",
                 "you can call the front desk at {}"],
    "id_number": ["my ID number is {}", "the ID card number is {}", "for verification, {}",
                  "my resident ID is {}"],
    "bank_card": ["refund it to my card {}", "the card number is {}", "I paid with card {}",
                  "my bank card is {}"],
    "email": ["my email is {}", "send the invoice to {}", "you can email me at {}",
              "the account email is {}"],
}

ZH_NEGATIVE = [
    lambda: f"订单号{digits(18)}，怎么还没发货",
    lambda: f"我的订单号是 {rng.choice('1234')}{digits(18)}",
    lambda: f"订单{rng.choice('123456')}{digits(15)}到哪了",
    lambda: f"快递单号SF{digits(12)}，查一下物流",
    lambda: f"运单号YT{digits(13)}",
    lambda: f"中通单号{rng.choice('75')}{digits(11)}，显示已签收",
    lambda: f"京东订单{digits(12)}退款进度",
    lambda: f"一共{rng.randint(10, 99999)}元，能便宜点吗",
    lambda: f"我付了¥{rng.randint(100, 9999)}.{rng.randint(10, 99)}，只收到一件",
    lambda: f"{rng.randint(2023, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}下的单",
    lambda: f"{rng.randint(2023, 2026)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日买的",
    lambda: f"下午{rng.randint(1, 6)}点{rng.choice(['半', '十分', '一刻'])}前能送到吗",
    lambda: f"{rng.randint(8, 21)}:{rng.choice(['00', '15', '30', '45'])}以后在家",
    lambda: f"我买了{rng.choice(['两', '三', '五', '十'])}件，少发了一件",
    lambda: "七天无理由退货还能用吗",
    lambda: f"验证码是{zh_spoken(digits(6))}",
    lambda: f"验证码{digits(6)}",
    lambda: f"客服热线400-{digits(3)}-{digits(4)}打不通",
    lambda: "我打了95588，他们让我找你们",
    lambda: "10086说是你们的问题",
    lambda: f"身份证号{id_number(valid=False)}，好像输错了一位",
    lambda: f"优惠券码{card(valid=False)}用不了",
    lambda: f"交易流水号{card(valid=False)}",
    lambda: f"商品编号{digits(12)}有货吗",
    lambda: f"订单号{zh_spoken(digits(8))}",
    lambda: f"我的会员号是{digits(10)}",
    lambda: f"尺码{rng.randint(35, 45)}码，颜色要{rng.choice(['黑', '白', '红'])}色",
    lambda: f"一二三四五六七八，这是我的会员卡密码前几位",
    lambda: f"第{rng.choice(['一', '二', '三'])}次打电话了，还没解决",
    lambda: f"原价{rng.randint(1000, 20000)}，现价{rng.randint(500, 999)}",
    lambda: f"我要退{rng.choice(['一', '两'])}个，留{rng.choice(['一', '两'])}个",
    lambda: f"批次号{digits(16)}的牛奶有问题",
    lambda: f"发票号码{digits(8)}，发票代码{digits(12)}",
    lambda: f"重量{rng.randint(1, 30)}.{rng.randint(1, 9)}公斤，运费多少",
    lambda: f"我{rng.randint(18, 70)}岁了，能办会员吗",
]
EN_NEGATIVE = [
    lambda: f"my order number is {digits(18)}",
    lambda: f"order {rng.choice('123456')}{digits(15)} hasn't arrived",
    lambda: f"tracking number SF{digits(12)}",
    lambda: f"the tracking number is 1Z{digits(16)}",
    lambda: f"I paid ${rng.randint(10, 999)}.{rng.randint(10, 99)} for it",
    lambda: f"it cost {rng.randint(1000, 99999)} yuan in total",
    lambda: f"I ordered it on {rng.randint(2023, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
    lambda: f"deliver after {rng.randint(1, 12)}:{rng.choice(['00', '15', '30', '45'])} pm please",
    lambda: f"I bought {rng.choice(['two', 'three', 'five', 'ten'])} of them and one is broken",
    lambda: f"the code is {en_spoken(digits(6))}",
    lambda: f"order number {en_spoken(digits(8))}",
    lambda: "oh, I see, one moment please",
    lambda: "I called twice, no one answered",
    lambda: f"your hotline 400-{digits(3)}-{digits(4)} is always busy",
    lambda: f"the coupon code {card(valid=False)} doesn't work",
    lambda: f"my ID {id_number(valid=False)} was rejected, maybe a typo",
    lambda: f"the invoice number is {digits(12)}",
    lambda: f"item {digits(10)} is out of stock",
    lambda: f"size {rng.randint(6, 12)}, two pairs",
    lambda: "I waited forty five minutes on hold",
    lambda: f"the transaction reference is {card(valid=False)}",
    lambda: f"batch {digits(16)} smells strange",
    lambda: f"it weighs {rng.randint(1, 30)}.{rng.randint(1, 9)} kilos",
    lambda: "I'm twenty five, is there a student discount",
]


def value_for(kind, language, spoken):
    if kind == "mobile":
        m = mobile()
        return spoken_mobile(m, language) if spoken else written_mobile(m)
    if kind == "landline":
        code, local = landline()
        return spoken_landline(code, local, language) if spoken else written_landline(code, local)
    if kind == "id_number":
        i = id_number()
        return spoken_id(i, language) if spoken else written_id(i)
    if kind == "bank_card":
        c = card()
        return spoken_card(c, language) if spoken else written_card(c)
    e = email()
    return spoken_email(e, language) if spoken else e


def positive(language, kind, spoken):
    template = rng.choice((ZH_POSITIVE if language == "zh" else EN_POSITIVE)[kind])
    value = value_for(kind, language, spoken)
    before, after = template.split("{}")
    text = before + value
    spans = [{"start": len(before), "end": len(text), "kind": kind}]
    return text + after, spans


def pair(language):
    """Two values in one sentence, the way a customer gives them for a return."""
    (a, b) = rng.sample(["mobile", "id_number", "bank_card", "email", "landline"], 2)
    text_a, spans_a = positive(language, a, rng.random() < 0.3)
    text_b, spans_b = positive(language, b, rng.random() < 0.3)
    joiner = "；" if language == "zh" else "; "
    offset = len(text_a) + len(joiner)
    spans = spans_a + [dict(s, start=s["start"] + offset, end=s["end"] + offset) for s in spans_b]
    return text_a + joiner + text_b, spans


def main():
    rows = []
    kinds = ["mobile", "landline", "id_number", "bank_card", "email"]
    counts = {"mobile": 32, "landline": 16, "id_number": 18, "bank_card": 18, "email": 14}
    for language in ["zh", "en"]:
        for kind in kinds:
            for n in range(counts[kind]):
                spoken = n % 2 == 1
                text, spans = positive(language, kind, spoken)
                rows.append({"text": text, "language": language, "spans": spans})
        for _ in range(25):
            text, spans = pair(language)
            rows.append({"text": text, "language": language, "spans": spans})
        negatives = ZH_NEGATIVE if language == "zh" else EN_NEGATIVE
        for n in range(90):
            rows.append({"text": negatives[n % len(negatives)](), "language": language, "spans": []})
    rng.shuffle(rows)
    with open("flow-engine/tests/data/redaction/labelled.jsonl", "w", encoding="utf-8") as out:
        for row in rows:
            for span in row["spans"]:
                span["text"] = row["text"][span["start"]:span["end"]]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(len(rows), "sentences,", sum(len(r["spans"]) for r in rows), "spans")


main()
