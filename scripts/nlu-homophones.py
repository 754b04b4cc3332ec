#!/usr/bin/env python3
"""Makes a speech-recognition-noise copy of a labelled Chinese CSV (text,intent).

Recognisers write the right sound with the wrong character: 取消 comes back as 取肖, 请 as 情.
Each character with an entry below is replaced by its homophone (same toneless pinyin) with
probability RATE, and every sentence that has at least one such character gets at least one
replacement. The generator is seeded, so the output is the same on every run.

    scripts/nlu-homophones.py flow-engine/tests/data/nlu/zh-ecommerce/test.csv \
        > flow-engine/tests/data/nlu/zh-ecommerce/test-homophones.csv
"""
import csv
import random
import sys

SEED = 11
RATE = 0.25

# Common recognition confusions: same syllable, different character.
HOMOPHONES = {
    "消": "肖", "请": "情", "货": "或", "款": "宽", "退": "推", "单": "担", "发": "法",
    "物": "务", "流": "留", "递": "第", "票": "漂", "址": "指", "地": "第", "换": "幻",
    "码": "马", "券": "劝", "付": "复", "积": "基", "分": "份", "修": "休", "维": "为",
    "投": "头", "诉": "素", "人": "仁", "工": "公", "客": "课", "服": "福", "订": "定",
    "改": "该", "查": "茶", "到": "道", "钱": "前", "开": "凯", "取": "去", "在": "再",
    "账": "帐", "优": "由", "惠": "会", "支": "知", "员": "元", "品": "拼", "商": "伤",
    "问": "文", "快": "块", "包": "保", "裹": "果", "收": "手", "寄": "记", "申": "身",
    "补": "捕", "没": "梅", "买": "埋", "号": "好", "电": "店", "话": "化", "送": "宋",
}


def noisy(text, rng):
    chars = list(text)
    candidates = [i for i, c in enumerate(chars) if c in HOMOPHONES]
    if not candidates:
        return text
    chosen = [i for i in candidates if rng.random() < RATE]
    if not chosen:
        chosen = [rng.choice(candidates)]
    for i in chosen:
        chars[i] = HOMOPHONES[chars[i]]
    return "".join(chars)


def main():
    rng = random.Random(SEED)
    with open(sys.argv[1], newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(rows[0])
    for text, intent in rows[1:]:
        out.writerow([noisy(text, rng), intent])


if __name__ == "__main__":
    main()
