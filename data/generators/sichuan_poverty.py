"""Sample data for sichuan-poverty 2016–2020: 21 市（州） and the 88 poor counties, seeded.

Made up, but shaped like the real thing. The units and each county's exit year (摘帽年度)
are real: the province's yearly exit lists (2016: 5, 2017: 15, 2018: 30, 2019: 31,
2020: 7 = 88). Every number measured is invented: poor population and villages at the
end of 2015, the yearly plans (省下达年度减贫计划), what was achieved, spot-check samples,
third-party rates, funds and loans. A unit's work has a persistent quality plus a yearly
wobble, so ranks move but not wildly.

Task structure follows the calendar: a county has a village task until its exit year and a
county-exit task only in its exit year; a city has the tasks of its counties plus those of
its other counties with poverty tasks (the 72 outside the four regions). Missing tasks go to
``not_applicable.csv`` and their weight is shared (第六条).

Cases built in on purpose (the tests check them):
- 遂宁市 last of the cities in 2016 only; 自贡市 last in 2018 and 2019 → 诫勉谈话 2019.
- 开江县 and 营山县 in the bottom 10% of 秦巴山区 in 2017 and 2018 → 诫勉谈话 2018, and the
  talk recorded as an event in 2019 (they cannot be advanced that year); 筠连县 last of
  乌蒙山区 in 2019 and 2020 → 诫勉谈话 2020; 色达县 at the bottom in 2016 only. Every talk a
  year's results call for is recorded as a ``warning_talk`` event the next year, including
  those the wobble produced (武胜县 2017, 马边县 2018, 营山县 2019, 自贡市 2019).
- 苍溪县 2018 and 巴中市 2017 would rank among the advanced, but their leaders were held to
  account (fund misuse; 数字脱贫 in a county), so they are not advanced.
- 泸定县 (2016, 2017) and 成都市 (2016, 2017) are strong two years running.
- 盐源县 2019 missed its people plan and was held to account.
- 色达县's last poor villages leave in 2018, so in its exit year 2019 it has the people and
  county-exit tasks only (the village task's weight is shared between them).
"""

from __future__ import annotations

import random
from pathlib import Path

from .common import write_csv, write_meta

SCHEME, SEED = "sichuan-poverty", 2016
YEARS = (2016, 2017, 2018, 2019, 2020)

CITIES = [
    ("chengdu", "成都市"), ("zigong", "自贡市"), ("panzhihua", "攀枝花市"), ("luzhou", "泸州市"),
    ("deyang", "德阳市"), ("mianyang", "绵阳市"), ("guangyuan", "广元市"), ("suining", "遂宁市"),
    ("neijiang", "内江市"), ("leshan", "乐山市"), ("nanchong", "南充市"), ("meishan", "眉山市"),
    ("yibin", "宜宾市"), ("guangan", "广安市"), ("dazhou", "达州市"), ("yaan", "雅安市"),
    ("bazhong", "巴中市"), ("ziyang", "资阳市"), ("aba", "阿坝藏族羌族自治州"),
    ("ganzi", "甘孜藏族自治州"), ("liangshan", "凉山彝族自治州"),
]

QINBA, WUMENG, YI, ZANG = "秦巴山区", "乌蒙山区", "大小凉山彝区", "高原藏区"
REGIONS = (QINBA, WUMENG, YI, ZANG)

# (unit_id, name, city, region, exit year)
COUNTIES = [
    ("lizhou", "广元市利州区", "guangyuan", QINBA, 2017),
    ("zhaohua", "广元市昭化区", "guangyuan", QINBA, 2018),
    ("chaotian", "广元市朝天区", "guangyuan", QINBA, 2018),
    ("wangcang", "旺苍县", "guangyuan", QINBA, 2019),
    ("qingchuan", "青川县", "guangyuan", QINBA, 2018),
    ("jiange", "剑阁县", "guangyuan", QINBA, 2019),
    ("cangxi", "苍溪县", "guangyuan", QINBA, 2019),
    ("beichuan", "北川羌族自治县", "mianyang", QINBA, 2017),
    ("pingwu", "平武县", "mianyang", QINBA, 2018),
    ("gaoping", "南充市高坪区", "nanchong", QINBA, 2017),
    ("jialing", "南充市嘉陵区", "nanchong", QINBA, 2017),
    ("nanbu", "南部县", "nanchong", QINBA, 2016),
    ("yingshan", "营山县", "nanchong", QINBA, 2018),
    ("pengan", "蓬安县", "nanchong", QINBA, 2016),
    ("yilong", "仪陇县", "nanchong", QINBA, 2017),
    ("langzhong", "阆中市", "nanchong", QINBA, 2018),
    ("guanganqu", "广安市广安区", "guangan", QINBA, 2016),
    ("qianfeng", "广安市前锋区", "guangan", QINBA, 2016),
    ("yuechi", "岳池县", "guangan", QINBA, 2018),
    ("wusheng", "武胜县", "guangan", QINBA, 2018),
    ("linshui", "邻水县", "guangan", QINBA, 2018),
    ("huaying", "华蓥市", "guangan", QINBA, 2016),
    ("tongchuan", "达州市通川区", "dazhou", QINBA, 2017),
    ("dachuan", "达州市达川区", "dazhou", QINBA, 2018),
    ("xuanhan", "宣汉县", "dazhou", QINBA, 2019),
    ("kaijiang", "开江县", "dazhou", QINBA, 2018),
    ("dazhu", "大竹县", "dazhou", QINBA, 2018),
    ("quxian", "渠县", "dazhou", QINBA, 2018),
    ("wanyuan", "万源市", "dazhou", QINBA, 2019),
    ("bazhou", "巴中市巴州区", "bazhong", QINBA, 2017),
    ("enyang", "巴中市恩阳区", "bazhong", QINBA, 2017),
    ("tongjiang", "通江县", "bazhong", QINBA, 2019),
    ("nanjiang", "南江县", "bazhong", QINBA, 2018),
    ("pingchang", "平昌县", "bazhong", QINBA, 2019),
    ("hejiang", "合江县", "luzhou", WUMENG, 2017),
    ("xuyong", "叙永县", "luzhou", WUMENG, 2019),
    ("gulin", "古蔺县", "luzhou", WUMENG, 2019),
    ("muchuan", "沐川县", "leshan", WUMENG, 2017),
    ("gaoxian", "高县", "yibin", WUMENG, 2018),
    ("gongxian", "珙县", "yibin", WUMENG, 2018),
    ("junlian", "筠连县", "yibin", WUMENG, 2018),
    ("xingwen", "兴文县", "yibin", WUMENG, 2018),
    ("pingshan", "屏山县", "yibin", WUMENG, 2019),
    ("jinkouhe", "乐山市金口河区", "leshan", YI, 2018),
    ("ebian", "峨边彝族自治县", "leshan", YI, 2019),
    ("mabian", "马边彝族自治县", "leshan", YI, 2019),
    ("yanyuan", "盐源县", "liangshan", YI, 2019),
    ("puge", "普格县", "liangshan", YI, 2020),
    ("butuo", "布拖县", "liangshan", YI, 2020),
    ("jinyang", "金阳县", "liangshan", YI, 2020),
    ("zhaojue", "昭觉县", "liangshan", YI, 2020),
    ("xide", "喜德县", "liangshan", YI, 2020),
    ("yuexi", "越西县", "liangshan", YI, 2020),
    ("ganluo", "甘洛县", "liangshan", YI, 2019),
    ("meigu", "美姑县", "liangshan", YI, 2020),
    ("leibo", "雷波县", "liangshan", YI, 2019),
    ("maerkang", "马尔康市", "aba", ZANG, 2017),
    ("wenchuan", "汶川县", "aba", ZANG, 2017),
    ("lixian", "理县", "aba", ZANG, 2017),
    ("maoxian", "茂县", "aba", ZANG, 2017),
    ("songpan", "松潘县", "aba", ZANG, 2018),
    ("jiuzhaigou", "九寨沟县", "aba", ZANG, 2018),
    ("jinchuan", "金川县", "aba", ZANG, 2018),
    ("xiaojin", "小金县", "aba", ZANG, 2018),
    ("heishui", "黑水县", "aba", ZANG, 2019),
    ("rangtang", "壤塘县", "aba", ZANG, 2019),
    ("abaxian", "阿坝县", "aba", ZANG, 2019),
    ("ruoergai", "若尔盖县", "aba", ZANG, 2018),
    ("hongyuan", "红原县", "aba", ZANG, 2018),
    ("kangding", "康定市", "ganzi", ZANG, 2018),
    ("luding", "泸定县", "ganzi", ZANG, 2017),
    ("danba", "丹巴县", "ganzi", ZANG, 2018),
    ("jiulong", "九龙县", "ganzi", ZANG, 2018),
    ("yajiang", "雅江县", "ganzi", ZANG, 2019),
    ("daofu", "道孚县", "ganzi", ZANG, 2019),
    ("luhuo", "炉霍县", "ganzi", ZANG, 2019),
    ("ganzixian", "甘孜县", "ganzi", ZANG, 2019),
    ("xinlong", "新龙县", "ganzi", ZANG, 2019),
    ("dege", "德格县", "ganzi", ZANG, 2019),
    ("baiyu", "白玉县", "ganzi", ZANG, 2019),
    ("shiqu", "石渠县", "ganzi", ZANG, 2019),
    ("seda", "色达县", "ganzi", ZANG, 2019),
    ("litang", "理塘县", "ganzi", ZANG, 2019),
    ("batang", "巴塘县", "ganzi", ZANG, 2019),
    ("xiangcheng", "乡城县", "ganzi", ZANG, 2018),
    ("daocheng", "稻城县", "ganzi", ZANG, 2018),
    ("derong", "得荣县", "ganzi", ZANG, 2019),
    ("muli", "木里藏族自治县", "liangshan", ZANG, 2019),
]

# Quality of the year's work for the cases built in on purpose (else persistent + wobble).
DESIGNED_QUALITY = {
    ("suining", 2016): 0.84, ("zigong", 2018): 0.83, ("zigong", 2019): 0.83,
    ("zigong", 2020): 0.95,
    ("kaijiang", 2017): 0.82, ("kaijiang", 2018): 0.82,
    ("yingshan", 2017): 0.83, ("yingshan", 2018): 0.83,
    ("junlian", 2019): 0.82, ("junlian", 2020): 0.82, ("seda", 2016): 0.80,
    ("cangxi", 2018): 0.995, ("bazhong", 2017): 0.995,
    ("luding", 2016): 0.995, ("luding", 2017): 0.995,
    ("chengdu", 2016): 0.99, ("chengdu", 2017): 0.99,
    ("yanyuan", 2019): 0.86,
}

# Counties whose last poor villages leave the year before their exit year, so that in the
# exit year they have the people and county-exit tasks but no village task.
VILLAGES_OUT_EARLY = {"seda": 2018}

# The poverty office (责任单位) as the rubric names it: renamed in the 2019 institutional reform.
def _fupin(year: int) -> str:
    return "省扶贫移民局" if year <= 2018 else "省扶贫开发局"


INCOME_GROWTH_TARGET = {2016: 10.0, 2017: 10.0, 2018: 9.5, 2019: 9.5, 2020: 8.0}
HARD_SHARE = {2016: 0.35, 2017: 0.4, 2018: 0.5, 2019: 0.7, 2020: 1.0}  # of other counties' poor

OBS_HEADER = ["unit_id", "indicator_id", "source", "item", "value", "note"]
EV_HEADER = ["unit_id", "indicator_id", "type", "work", "value", "date", "description"]
NA_HEADER = ["unit_id", "indicator_id", "reason"]
SELF_HEADER = ["unit_id", "indicator_id", "points"]


def _accountability(year: int) -> list[list]:
    """Findings for which leaders were held to account (第九条), by year."""
    ev = {
        2016: [
            ["seda", "accountability", "low_accuracy", None, None, "2017-01-25",
             "第三方评估贫困人口识别准确率、群众满意度明显偏低，对分管副县长进行责任追究（示例）"],
        ],
        2017: [
            ["bazhong", "accountability", "fake_exit", None, None, "2018-01-20",
             "省级抽查发现所辖县存在“数字脱贫”，对市扶贫移民局主要负责人进行责任追究（示例）"],
        ],
        2018: [
            ["cangxi", "accountability", "fund_misuse", None, None, "2018-11-06",
             "审计发现挪用财政专项扶贫资金用于非扶贫项目，对分管副县长和县扶贫移民局局长进行责任追究（示例）"],
            ["kaijiang", "accountability", "discipline", None, None, "2018-09-14",
             "纪检监察机关查处村干部虚报冒领到户补助资金问题，对乡镇党委书记进行责任追究（示例）"],
            ["wusheng", "accountability", "warning_talk", None, None, "2018-03-08",
             "2016、2017年度连续两年片区排名倒数10%以内，县委书记、县长受到诫勉谈话（示例）"],
        ],
        2019: [
            ["kaijiang", "accountability", "warning_talk", None, None, "2019-03-05",
             "2017、2018年度连续两年片区排名倒数10%以内，县委书记、县长受到诫勉谈话（示例）"],
            ["yingshan", "accountability", "warning_talk", None, None, "2019-03-05",
             "2017、2018年度连续两年片区排名倒数10%以内，县委书记、县长受到诫勉谈话（示例）"],
            ["yanyuan", "accountability", "missed_plan", None, None, "2020-01-18",
             "未完成年度减贫计划任务，对分管副县长进行责任追究（示例）"],
            ["mabian", "accountability", "warning_talk", None, None, "2019-03-05",
             "2017、2018年度连续两年片区排名倒数10%以内，县委书记、县长受到诫勉谈话（示例）"],
        ],
        2020: [
            ["zigong", "accountability", "warning_talk", None, None, "2020-03-10",
             "2018、2019年度连续两年排名末位，市委、市政府主要负责人受到诫勉谈话（示例）"],
            ["yingshan", "accountability", "warning_talk", None, None, "2020-03-10",
             "2018、2019年度连续两年片区排名倒数10%以内，县委书记、县长受到诫勉谈话（示例）"],
        ],
    }
    return ev[year]


class _Unit:
    """What the generator remembers about a unit between years."""

    def __init__(self, uid: str, name: str, kind: str, rng: random.Random, region: str = "",
                 city: str = "", exit_year: int = 0):
        self.uid, self.name, self.kind, self.region, self.city = uid, name, kind, region, city
        self.exit_year = exit_year
        self.quality = rng.uniform(0.91, 0.965)
        big = {QINBA: (20000, 70000), WUMENG: (20000, 60000), YI: (15000, 60000),
               ZANG: (3000, 14000)}.get(region, (6000, 45000))
        vil = {QINBA: (60, 180), WUMENG: (50, 140), YI: (60, 260), ZANG: (30, 140)}.get(
            region, (10, 120))
        self.poor = rng.randint(*big)  # other counties' poor, for a city
        self.villages = rng.randint(*vil)
        self.villages_total = self.villages
        self.rural = round(self.poor / rng.uniform(0.08, 0.22))
        self.income = rng.randint(8200, 10500)


def _plans(u: _Unit, year: int, rng: random.Random) -> tuple[int, int]:
    """(people, villages) the province plans this unit to lift out this year (own part)."""
    if u.kind == "city":
        people = round(u.poor * HARD_SHARE[year] * rng.uniform(0.9, 1.0))
        if year == 2020 or u.villages == 0:
            return people, 0
        villages = 0 if rng.random() < 0.2 else round(u.villages * HARD_SHARE[year])
        return people, villages
    if year < u.exit_year:
        left = u.exit_year - year + 1
        people = round(u.poor / left * rng.uniform(0.85, 1.0))
        villages = 0 if rng.random() < 0.15 else round(u.villages / left * rng.uniform(0.8, 1.1))
        if VILLAGES_OUT_EARLY.get(u.uid) == year:
            villages = u.villages
    elif year == u.exit_year:
        people = round(u.poor * rng.uniform(0.75, 0.9))
        villages = u.villages
    else:
        people = u.poor if year == 2020 else round(u.poor * rng.uniform(0.35, 0.6))
        villages = 0
    return max(people, 1), min(villages, u.villages)


def _rate(q: float, rng: random.Random, shift: float = 0.0) -> float:
    return min(1.0, max(0.5, q + shift + rng.gauss(0, 0.012)))


def _sample(q: float, n: int, rng: random.Random, shift: float = 0.0) -> int:
    return min(n, round(n * _rate(q, rng, shift)))


def _count(q: float, rng: random.Random, scale: float) -> int:
    """Occurrences found (errors, absences, violations): more when the work is weaker."""
    return max(0, int((0.965 - q) * scale * rng.uniform(0.2, 1.4)))


def _year(year: int, units: list[_Unit], by_city: dict[str, list[_Unit]],
          rng: random.Random) -> dict[str, list[list]]:
    obs: list[list] = []
    na: list[list] = []
    selfs: list[list] = []
    fupin = _fupin(year)
    own = {u.uid: _plans(u, year, rng) for u in units}
    exits = {u.uid: int(u.kind == "county" and u.exit_year == year) for u in units}
    for u in units:
        q = DESIGNED_QUALITY.get((u.uid, year), min(0.995, u.quality + rng.gauss(0, 0.02)))
        members = by_city.get(u.uid, []) if u.kind == "city" else []
        people = own[u.uid][0] + sum(own[c.uid][0] for c in members)
        villages = own[u.uid][1] + sum(own[c.uid][1] for c in members)
        counties_out = sum(exits[c.uid] for c in members) if u.kind == "city" else exits[u.uid]
        poor_before = u.poor + sum(c.poor for c in members)
        rural = u.rural + sum(c.rural for c in members)

        # 减贫成效 — people (always a task)
        shortfall = 0.0 if q >= 0.9 else (0.9 - q) * rng.uniform(0.9, 1.1)
        if (u.uid, year) == ("yanyuan", 2019):
            shortfall = 0.06
        lifted = round(people * (1 - shortfall + (rng.uniform(0, 0.02) if q >= 0.9 else 0)))
        obs += [[u.uid, "a11", fupin, "target", people, "省下达年度减贫计划"],
                [u.uid, "a11", fupin, "actual", lifted, "信息系统标注脱贫人数"]]
        n = rng.randint(60, 150)
        met = _sample(q, n, rng, 0.02)
        standard = "“一超六有”" if year <= 2018 else "“两不愁三保障”"
        obs.append([u.uid, "a12", "省级抽查", None, round(met / n, 4),
                    f"抽查脱贫户{n}户，{standard}达标{met}户"])
        inc_target = round((poor_before - people) / rural * 100, 2)
        inc_actual = round((poor_before - lifted) / rural * 100, 2)
        obs += [[u.uid, "a13", fupin, "target", max(inc_target, 0.0), "年度计划贫困发生率"],
                [u.uid, "a13", fupin, "actual", max(inc_actual, 0.0), "年末贫困发生率"]]
        # villages
        if villages:
            done = villages if q >= 0.88 else villages - max(1, round(villages * 0.08))
            obs += [[u.uid, "a21", fupin, "target", villages, "省下达年度贫困村退出计划"],
                    [u.uid, "a21", fupin, "actual", done, "达到退出标准的贫困村"]]
            n = min(villages, rng.randint(5, 12))
            met = _sample(q, n, rng, 0.03)
            obs.append([u.uid, "a22", "省级抽查", None, round(met / n, 4),
                        f"抽查退出村{n}个，“一低五有”全部达标{met}个"])
        else:
            na.append([u.uid, "A2", f"{year}年度无贫困村退出计划，权重按比例计入其他减贫任务指标（第六条）"])
        # county exit
        if counties_out:
            passed = counties_out if q >= 0.86 else counties_out - 1
            obs += [[u.uid, "a31", fupin, "target", counties_out, "省下达年度摘帽计划"],
                    [u.uid, "a31", fupin, "actual", passed, "达到摘帽标准的贫困县"]]
            checks = 4 * counties_out
            ok = checks if q >= 0.9 else checks - 1
            obs.append([u.uid, "a32", "省级抽查", None, round(ok / checks, 4),
                        f"摘帽县“一低三有”{checks}项指标，达标{ok}项"])
        else:
            why = ("辖区内本年度无贫困县摘帽计划" if u.kind == "city"
                   else (f"已于{u.exit_year}年摘帽" if u.exit_year < year
                         else f"计划于{u.exit_year}年摘帽"))
            na.append([u.uid, "A3", f"{why}，权重按比例计入其他减贫任务指标（第六条）"])
        # income
        gain_target = round(u.income * INCOME_GROWTH_TARGET[year] / 100)
        growth = INCOME_GROWTH_TARGET[year] + (q - 0.93) * 25 + rng.gauss(0, 0.35)
        gain = round(u.income * growth / 100)
        obs += [[u.uid, "a41", "国家统计局四川调查总队", "target", gain_target, "年度增收目标"],
                [u.uid, "a41", "国家统计局四川调查总队", "actual", gain,
                 f"人均可支配收入由{u.income}元增至{u.income + gain}元"],
                [u.uid, "a42", "国家统计局四川调查总队", "actual", round(gain / u.income * 100, 2),
                 ""]]
        u.income += gain

        # 精准识别
        n = rng.randint(200, 400)
        obs.append([u.uid, "b11", "第三方评估机构", None, round(_sample(q, n, rng, 0.02) / n, 4),
                    f"抽样{n}户"])
        obs.append([u.uid, "b12", "第三方评估机构", "actual",
                    round(max(0.0, (0.985 - q) * 40 * rng.uniform(0.5, 1.2)), 2), "漏评率（%）"])
        errors = _count(q, rng, 60)
        if errors:
            obs.append([u.uid, "b13", fupin, "data_error", errors, "信息系统数据比对"])
        late = _count(q, rng, 15)
        if late:
            obs.append([u.uid, "b13", fupin, "late_update", late, "动态管理数据更新检查"])
        n = rng.randint(150, 300)
        obs.append([u.uid, "b21", "第三方评估机构", None, round(_sample(q, n, rng, 0.025) / n, 4),
                    f"抽样脱贫户{n}户"])
        obs.append([u.uid, "b22", "第三方评估机构", "actual",
                    round(max(0.0, (0.985 - q) * 35 * rng.uniform(0.5, 1.2)), 2), "错退率（%）"])
        for item in ("appraisal", "verification", "publicity", "announcement"):
            ok = 1 if rng.random() < 0.5 + q / 2 - (0.1 if q < 0.88 else 0) else 0
            obs.append([u.uid, "b23", "省级抽查", item, ok, "" if ok else "抽查发现该环节资料缺失"])

        # 精准帮扶
        total_v = u.villages_total + sum(c.villages_total for c in members)
        missing = 0 if q + rng.gauss(0, 0.01) > 0.93 else max(1, round(total_v * (0.95 - q) * 0.5))
        obs.append([u.uid, "c11", "省委组织部", None, round((total_v - missing) / total_v, 4),
                    f"贫困村{total_v}个，“五个一”全覆盖{total_v - missing}个"])
        absent = _count(q, rng, 30)
        if absent:
            obs.append([u.uid, "c12", "省委组织部", "absent", absent, "暗访抽查"])
        unaware = _count(q, rng, 30)
        if unaware:
            obs.append([u.uid, "c12", "省委组织部", "unaware", unaware, "暗访抽查"])
        n = rng.randint(200, 400)
        obs.append([u.uid, "c13", "第三方评估机构", None, round(_sample(q, n, rng) / n, 4),
                    f"受访贫困户{n}户"])
        if year >= 2020:
            for item in ("mechanism", "timely", "measures", "clearance"):
                ok = 1 if rng.random() < q else 0
                obs.append([u.uid, "c14", fupin, item, ok, "" if ok else "抽查发现该项未落实到位"])

        # 扶贫资金
        obs.append([u.uid, "d11", "省财政厅、" + fupin, None,
                    round(min(99.0, q * 100 + rng.gauss(0, 1.5)), 1), "财政专项扶贫资金绩效评价"])
        obs.append([u.uid, "d12", "省财政厅", "actual",
                    round(min(100.0, 90 + (q - 0.9) * 120 + rng.gauss(0, 2)), 1), "年末支出进度（%）"])
        for item, scale in (("misuse", 8), ("idle", 12), ("publicity", 25)):
            k = _count(q, rng, scale)
            if (u.uid, year, item) == ("cangxi", 2018, "misuse"):
                k = 1
            if k:
                obs.append([u.uid, "d13", "省审计厅", item, k, "审计和督查发现"])
        base = rng.randint(800, 4000) * (5 if u.kind == "city" else 1)
        put = base if q >= 0.9 else round(base * (0.8 + q / 10))
        obs += [[u.uid, "d21", "省财政厅", "target", base, "按规定应安排的本级投入（万元）"],
                [u.uid, "d21", "省财政厅", "actual", put, "本级财政专项扶贫资金实际投入（万元）"]]
        plan = rng.randint(3000, 20000) * (4 if u.kind == "city" else 1)
        lent = round(plan * min(1.08, 0.75 + (q - 0.85) * 2.5 + rng.gauss(0, 0.03)))
        obs += [[u.uid, "d22", "人行成都分行", "target", plan, "年度发放计划（万元）"],
                [u.uid, "d22", "人行成都分行", "actual", lent, "当年发放（万元）"]]
        obs.append([u.uid, "d23", "人行成都分行", None, round(_rate(q, rng, 0.035), 4),
                    "到期贷款按期还款率"])

        # self-check (自查总结报告): what the unit claims on the poverty-reduction items
        for ind, mx in _self_items(year, bool(villages), bool(counties_out)):
            claim = mx if rng.random() < 0.7 else round(mx * rng.uniform(0.9, 0.99), 1)
            selfs.append([u.uid, ind, claim])

        # state for next year
        u.poor = max(0, u.poor - round(own[u.uid][0] * lifted / people))
        u.villages = max(0, u.villages - own[u.uid][1])  # a city's counties update themselves
    return {"observations": obs, "not_applicable": na, "self": selfs,
            "events": _accountability(year)}


def _self_items(year: int, villages: bool, exit_task: bool) -> list[tuple[str, float]]:
    a11, a12 = (10, 6) if year <= 2018 else (9, 7)
    out = [("a11", a11), ("a12", a12), ("a13", 4)]
    if villages:
        out += [("a21", 9), ("a22", 6)]
    if exit_task:
        out += [("a31", 6), ("a32", 4)]
    return out + [("a41", 10), ("a42", 10)]


def _units_rows() -> list[list]:
    rows = [[uid, name, "city", None, uid] for uid, name in CITIES]
    rows += [[uid, name, "county", region, city] for uid, name, city, region, _ in COUNTIES]
    return rows


def _check_lists() -> None:
    """The real structure: 21 cities, 88 counties, 34/9/13/32 by region, 5/15/30/31/7 exits."""
    assert len(CITIES) == 21 and len(COUNTIES) == 88
    by_region = {r: sum(1 for c in COUNTIES if c[3] == r) for r in REGIONS}
    assert by_region == {QINBA: 34, WUMENG: 9, YI: 13, ZANG: 32}, by_region
    by_year = {y: sum(1 for c in COUNTIES if c[4] == y) for y in YEARS}
    assert by_year == {2016: 5, 2017: 15, 2018: 30, 2019: 31, 2020: 7}, by_year


def generate(root: Path) -> list[Path]:
    _check_lists()
    rng = random.Random(SEED)
    cities = [_Unit(uid, name, "city", rng) for uid, name in CITIES]
    counties = [_Unit(uid, name, "county", rng, region, city, exit_year)
                for uid, name, city, region, exit_year in COUNTIES]
    units = cities + counties
    by_city: dict[str, list[_Unit]] = {}
    for c in counties:
        by_city.setdefault(c.city, []).append(c)
    written: list[Path] = []
    for year in YEARS:
        directory = root / SCHEME / str(year)
        rows = _year(year, units, by_city, rng)
        written += [
            write_csv(directory / "units.csv", ["unit_id", "name", "kind", "region", "city"],
                      _units_rows()),
            write_csv(directory / "observations.csv", OBS_HEADER, rows["observations"]),
            write_csv(directory / "events.csv", EV_HEADER, rows["events"]),
            write_csv(directory / "not_applicable.csv", NA_HEADER, rows["not_applicable"]),
            write_csv(directory / "self_assessment.csv", SELF_HEADER, rows["self"]),
        ]
        written += write_meta(
            directory, "data/generators/sichuan_poverty.py", SEED,
            f"四川省{year}年度市（州）和贫困县脱贫攻坚工作成效考核的示例数据"
            "（21个市州、88个贫困县；单位名单和摘帽年度为真实信息，其余数值均为虚构）。")
    return written
