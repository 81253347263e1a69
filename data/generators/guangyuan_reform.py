"""Sample data for guangyuan-reform 2021 and 2022: 广元's monitoring of the 两项改革“后半篇”
文章, seeded. Writes ten directories: ``2021/``, ``2022/`` (the annual assessment of 7 counties,
the development zone, 18 lead departments and 142 townships and streets) and ``2021-Q1/`` …
``2022-Q4/`` (the quarterly on-site contests, rubrics of their own).

Made up, but shaped like the real thing:
- the units are real: the 142 乡镇（街道） are the post-merger divisions of the seven counties
  (统计用区划代码 as ids), 135 乡镇 + 7 街道, as 000 counts them;
- the lead departments score the counties task by task; quantified 2021 tasks carry each
  county's share of 003's city-wide target, and the shares add up to the document's figure
  exactly (485.8 km, 116 km, 164 台区 …); 2022 shares are invented, as 003 gives no 2022 figure;
- the development zone has no provincial row: it takes 利州区's (proxy);
- 青川县 (2021) and 剑阁县 (2022) self-assess their provincial result well above the
  province's check and lose the extra points; other counties over-claim within tolerance;
- each quarter's contest ranks are designed so that the red flags move between counties, and
  in one quarter per year the zone ranks second, so the flag passes to the third;
- two townships tie exactly at the 优 cut of a county (苍溪县 2021, 剑阁县 2022);
- twelve monthly bulletins with problems, a few of them serious (约谈).
"""

from __future__ import annotations

import random
from pathlib import Path

from .common import write_csv, write_meta

SCHEME, SEED = "guangyuan-reform", 2021
YEARS = (2021, 2022)
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
QUARTER_ZH = {"Q1": "第一季度", "Q2": "第二季度", "Q3": "第三季度", "Q4": "第四季度"}

COUNTIES = [
    ("lizhou", "利州区", "510802"), ("zhaohua", "昭化区", "510811"),
    ("chaotian", "朝天区", "510812"), ("wangcang", "旺苍县", "510821"),
    ("qingchuan", "青川县", "510822"), ("jiange", "剑阁县", "510823"),
    ("cangxi", "苍溪县", "510824"),
]
ZONE = ("jingkai", "广元经济技术开发区")
COUNTY_POOL, DEPT_POOL = "县（区）", "市级牵头部门"

# The 18 lead departments: the first-named lead unit of each of 003's 24 tasks (市扶贫开发局 is
# named only second, as co-lead of task 13, and is not one of the 18).
DEPARTMENTS = [
    ("bianban", "市委编办"), ("caizheng", "市财政局"), ("fagai", "市发展改革委"),
    ("ziran", "市自然资源局"), ("jiaotong", "市交通运输局"), ("shuili", "市水利局"),
    ("zhujian", "市住房城乡建设局"), ("nongye", "市农业农村局"), ("wenlv", "市文化广电旅游局"),
    ("gongxiao", "市供销社"), ("zhengwu", "市政务服务和公共资源交易中心"), ("jiaoyu", "市教育局"),
    ("weijian", "市卫生健康委"), ("xuanchuan", "市委宣传部"), ("minzheng", "市民政局"),
    ("zuzhi", "市委组织部"), ("zhengfa", "市委政法委"), ("yingji", "市应急管理局"),
]

# 乡镇（街道） after the 2019–2020 merger, by county: code suffix + name (统计用区划代码).
TOWNSHIPS = {
    "lizhou": "001东坝街道 002嘉陵街道 003河西街道 004雪峰街道 005南河街道 006上西街道 011万缘街道 "
              "100荣山镇 101大石镇 102盘龙镇 103宝轮镇 105三堆镇 200白朝乡 201金洞乡 202龙潭乡",
    "zhaohua": "100元坝镇 101卫子镇 102王家镇 103磨滩镇 104柏林沟镇 105太公镇 106虎跳镇 107红岩镇 "
               "108昭化镇 111青牛镇 112射箭镇 113清水镇",
    "chaotian": "100朝天镇 101大滩镇 102羊木镇 103曾家镇 104中子镇 105沙河镇 109两河口镇 110云雾山镇 "
                "111水磨沟镇 112李家镇 214麻柳乡 215临溪乡",
    "wangcang": "100东河镇 101嘉川镇 102木门镇 103白水镇 105张华镇 106黄洋镇 107普济镇 108三江镇 "
                "110五权镇 111高阳镇 112双汇镇 113英萃镇 114国华镇 115龙凤镇 116九龙镇 117米仓山镇 "
                "118大德镇 119大两镇 120水磨镇 121盐河镇 122天星镇 204燕子乡 207檬子乡",
    "qingchuan": "100乔庄镇 101青溪镇 102房石镇 103关庄镇 104凉水镇 105竹园镇 106木鱼镇 107沙州镇 "
                 "108姚渡镇 109三锅镇 111建峰镇 112乐安镇 203茶坝乡 207蒿溪回族乡 210曲河乡 212石坝乡 "
                 "216大院回族乡 220七佛乡 224骑马乡 225观音店乡",
    "jiange": "100普安镇 101龙源镇 103盐店镇 104柳沟镇 105武连镇 106东宝镇 107开封镇 108元山镇 "
              "109演圣镇 110王河镇 111公兴镇 112金仙镇 113香沉镇 114白龙镇 115鹤龄镇 116杨村镇 "
              "117羊岭镇 118江口镇 119木马镇 120剑门关镇 121汉阳镇 122下寺镇 123涂山镇 124店子镇 "
              "126张王镇 127姚家镇 128义兴镇 210秀钟乡 228樵店乡",
    "cangxi": "100陵江镇 102云峰镇 104东青镇 105白桥镇 107五龙镇 108永宁镇 109鸳溪镇 110三川镇 "
              "111龙王镇 112元坝镇 113唤马镇 114歧坪镇 115白驿镇 116漓江镇 117文昌镇 118岳东镇 "
              "119石马镇 120运山镇 121东溪镇 122高坡镇 123龙山镇 125亭子镇 126百利镇 127黄猫垭镇 "
              "128河地镇 208白鹤乡 209浙水乡 223月山乡 226白山乡 228彭店乡 229桥溪乡",
}
SAME_NAME = {"元坝镇"}  # in both 昭化区 and 苍溪县: names must be unique, so the county is added

# The 24 tasks of 003: part, lead departments (among the 18), responsible departments (among
# the 18), class (量化: 003 gives a measurable 2021 target).
PARTS = {"A": "优化资源配置", "B": "提升发展质量", "C": "增强服务能力", "D": "提高治理效能"}
TASKS = [
    ("t01", "优化乡镇机构编制资源配置", "A", "bianban", "zuzhi caizheng ziran zhujian nongye zhengwu", "定性"),
    ("t02", "盘活用好镇村公有资产", "A", "caizheng nongye", "jiaoyu minzheng ziran weijian", "定性"),
    ("t03", "加大政府购买服务力度", "A", "caizheng", "bianban jiaoyu minzheng ziran wenlv yingji", "定性"),
    ("t04", "加强涉改乡镇干部周转房保障", "A", "fagai", "caizheng ziran zhujian", "量化"),
    ("t05", "加强乡村规划建设", "B", "ziran", "zhujian nongye fagai", "定性"),
    ("t06", "提升农村交通运输服务水平", "B", "jiaotong", "fagai caizheng ziran nongye", "量化"),
    ("t07", "加强农村水利基层服务与建设管理", "B", "shuili", "fagai caizheng nongye", "定性"),
    ("t08", "推动农村电网改造升级", "B", "fagai", "ziran nongye", "量化"),
    ("t09", "加强乡镇市政设施和镇村建设管理", "B", "zhujian", "zuzhi bianban fagai caizheng", "定性"),
    ("t10", "推进乡村特色农业产业发展", "B", "nongye", "fagai caizheng ziran shuili", "量化"),
    ("t11", "发展乡村旅游产业", "B", "wenlv", "fagai ziran zhujian jiaotong nongye", "定性"),
    ("t12", "推进合并村集体经济融合发展", "B", "nongye", "zuzhi bianban fagai caizheng ziran", "量化"),
    ("t13", "加强“美丽四川·宜居乡村”建设", "B", "nongye",
     "xuanchuan fagai caizheng ziran zhujian wenlv minzheng weijian shuili", "量化"),
    ("t14", "加强基层供销社建设", "B", "gongxiao", "zuzhi caizheng nongye", "定性"),
    ("t15", "完善镇村便民服务体系", "C", "zhengwu", "zuzhi bianban minzheng caizheng", "定性"),
    ("t16", "优化基础教育学校布局", "C", "jiaoyu", "bianban fagai caizheng ziran zhujian jiaotong weijian", "定性"),
    ("t17", "提升乡村医疗卫生服务能力", "C", "weijian", "bianban fagai caizheng", "定性"),
    ("t18", "提升农村公共文化服务效能", "C", "xuanchuan", "bianban minzheng caizheng nongye wenlv", "定性"),
    ("t19", "提升养老育幼基本公共服务能力", "C", "minzheng", "bianban fagai caizheng ziran weijian", "定性"),
    ("t20", "加强乡村基层组织建设", "D", "zuzhi minzheng", "bianban caizheng nongye", "定性"),
    ("t21", "加强基层群众自治", "D", "minzheng", "zuzhi xuanchuan bianban caizheng nongye zhengwu", "定性"),
    ("t22", "加强和创新城乡社区治理", "D", "minzheng",
     "zuzhi xuanchuan bianban fagai caizheng zhujian nongye wenlv", "量化"),
    ("t23", "完善农村司法体系", "D", "zhengfa", "zuzhi bianban", "定性"),
    ("t24", "提升基层应急管理能力", "D", "yingji", "bianban fagai caizheng ziran shuili nongye wenlv", "量化"),
]

# City-wide targets broken down by county (and the zone where it has the task). 2021: 003's
# figures, transcribed; the shares add up to them exactly. 2022: invented (003 gives none).
TARGETS = {
    2021: {
        "t04a": {"zhaohua": 1, "chaotian": 1, "wangcang": 2, "qingchuan": 2, "jiange": 2, "cangxi": 2},
        "t04b": {"zhaohua": 53, "chaotian": 52, "wangcang": 126, "qingchuan": 118, "jiange": 132,
                 "cangxi": 140},
        "t06a": (485.8, 1), "t06b": (116.0, 1), "t08a": (164, 0), "t08b": (73.664, 3),
        "t08c": (512.104, 3), "t08d": (1000, 0),
        "t10a": {"lizhou": 1, "zhaohua": 2, "chaotian": 2, "wangcang": 2, "qingchuan": 2,
                 "jiange": 2, "cangxi": 3},
        "t12": {"lizhou": 6, "zhaohua": 8, "chaotian": 8, "wangcang": 12, "qingchuan": 10,
                "jiange": 14, "cangxi": 16},
        "t13a": {"lizhou": 3, "zhaohua": 4, "chaotian": 4, "wangcang": 6, "qingchuan": 5,
                 "jiange": 8, "cangxi": 9},
        "t13b": {"lizhou": 4, "zhaohua": 5, "chaotian": 5, "wangcang": 7, "qingchuan": 6,
                 "jiange": 8, "cangxi": 10},
        "t24a": {c: 2 for c, _, _ in COUNTIES},
        "t24b": {"zhaohua": 1, "chaotian": 1, "wangcang": 1, "qingchuan": 1, "jiange": 1, "cangxi": 1},
    },
    2022: {
        "t04a": (18, 0), "t04b": (846, 0), "t06a": (402.5, 1), "t06b": (138.0, 1), "t08a": (126, 0),
        "t08b": (58.37, 2), "t08c": (396.8, 1), "t08d": (850, 0), "t10a": (14, 0), "t12": (58, 0),
        "t13a": (52, 0), "t13b": (40, 0), "t24a": (3, 0), "t24b": (2, 0),
    },
}
# Where the zone (no townships, no merged villages of its own) has no task: not_applicable.csv.
ZONE_NOT_APPLICABLE = ["t01", "t04", "t06a", "t06c", "t08a", "t08b", "t08c", "t08d", "t10", "t12",
                       "t13a", "t13b", "t13c", "t14", "t24a", "t24b"]
ZONE_REASON = "开发区无建制乡镇和撤并建制村，无该项任务"
# Zone share of a split city-wide target it takes part in (industry roads), relative to a county.
ZONE_WEIGHT = 0.35

# Contest order of the eight (best first) per quarter: the flags move, and in Q3 2021 and Q4
# 2022 the zone ranks second, so the flag passes to the third.
CONTEST_ORDER = {
    "2021-Q1": "cangxi jiange lizhou wangcang zhaohua jingkai qingchuan chaotian",
    "2021-Q2": "lizhou cangxi wangcang jiange qingchuan zhaohua chaotian jingkai",
    "2021-Q3": "wangcang jingkai jiange cangxi lizhou chaotian zhaohua qingchuan",
    "2021-Q4": "jiange qingchuan cangxi lizhou wangcang jingkai zhaohua chaotian",
    "2022-Q1": "qingchuan cangxi jiange lizhou zhaohua wangcang chaotian jingkai",
    "2022-Q2": "zhaohua lizhou cangxi jingkai jiange wangcang qingchuan chaotian",
    "2022-Q3": "cangxi wangcang lizhou jiange zhaohua qingchuan jingkai chaotian",
    "2022-Q4": "lizhou jingkai chaotian cangxi jiange qingchuan wangcang zhaohua",
}
# (county, provincial result on 100, self-assessed on 100): the penalised disagreements.
SELF_DISAGREES = {2021: ("qingchuan", 8.0), 2022: ("jiange", 7.5)}
TIE_AT_CUT = {2021: ("cangxi", 0.2), 2022: ("jiange", 0.15)}  # county, share of 优
SERIOUS = {  # (month, unit): the serious problems of the bulletins, which lead to a talk
    2021: {(5, "chaotian"): "撤并村便民服务点关停后未落实代办服务，群众办事跑远路",
           (9, "gongxiao"): "基层供销社网点布局调整方案逾期未出台",
           (11, "qingchuan"): "被撤并乡镇闲置资产清查台账与实际严重不符"},
    2022: {(4, "zhaohua"): "撤并建制村直连道路项目停工未报告",
           (8, "jiaoyu"): "撤并学校闲置校舍处置违规出租"},
}
PROBLEMS = [
    "涉改乡镇“三张清单”未及时公开", "便民服务站集中办公制度落实不到位",
    "闲置资产盘活台账更新滞后", "村级便民服务代办员未在岗", "直连道路项目进度滞后于计划",
    "农村生活垃圾收运线路调整未到位", "改革工作信息报送不及时", "合并村集体资产移交手续不完备",
    "村规民约修订未按时完成", "乡镇应急队人员未落实", "涉改村“厕所革命”项目资料不全",
    "督导发现问题整改未按期销号",
]
RATER_REASONS = {
    "t03": ["购买服务计划编制仍以部门为主", "承接主体培育不足"],
    "t07": ["农村供水工程管护责任未全覆盖", "小型水库标准化管理试点推进慢"],
    "t09": ["被撤并乡镇污水处理设施运维主体不明确", "垃圾收转运体系调整滞后"],
    "t10b": ["产业配套基础设施短板未补齐", "农技服务队伍建设滞后"],
    "t11": ["乡村旅游“样板村”创建进度慢", "旅游功能化改造项目未开工"],
    "t14": ["基层社网点布局未随村镇调整优化", "村社共建覆盖面小"],
    "t16": ["空心校点撤销后闲置校舍未盘活", "“县管校聘”改革推进不平衡"],
    "t17": ["被撤并乡镇卫生院分院功能定位不清", "村卫生室达标率偏低"],
    "t18": ["乡镇文化综合体建设滞后", "涉改镇村文明创建荣誉未重新认定"],
    "t19": ["敬老院法人登记未全部完成", "儿童关爱服务阵地建设滞后"],
    "t20": ["换届后村干部培训未全覆盖", "“一肩挑”监督管理制度不健全"],
    "t21": ["村（居）民自治章程修订滞后", "村务公开目录不规范"],
    "t22a": ["社区综合服务设施未达标", "社区社会组织孵化培育不足"],
    "t23": ["“一村一辅警”配备未到位", "全科网格整合推进慢"],
    "D1o2": ["牵头任务推进计划落实滞后", "对县区业务指导不够具体", "政策措施出台偏慢"],
}


# -- units ---------------------------------------------------------------------------------


def townships() -> list[tuple[str, str, str, str]]:
    """(unit_id, name, kind, county id) of the 142 乡镇（街道）, county by county."""
    rows = []
    for cid, _, code in COUNTIES:
        county = dict((c, n) for c, n, _ in COUNTIES)[cid]
        for entry in TOWNSHIPS[cid].split():
            suffix, name = entry[:3], entry[3:]
            kind = "street" if name.endswith("街道") else "township"
            shown = f"{name}（{county}）" if name in SAME_NAME else name
            rows.append((code + suffix, shown, kind, cid))
    return rows


def unit_rows() -> list[list]:
    """units.csv of an annual directory: counties, zone, departments, townships."""
    rows = [[cid, name, "county", COUNTY_POOL, name] for cid, name, _ in COUNTIES]
    rows.append([ZONE[0], ZONE[1], "zone", COUNTY_POOL, ZONE[1]])
    rows += [[did, name, "department", DEPT_POOL, None] for did, name in DEPARTMENTS]
    names = {c: n for c, n, _ in COUNTIES}
    rows += [[tid, name, kind, f"{names[cid]}乡镇（街道）", names[cid]]
             for tid, name, kind, cid in townships()]
    return rows


def contestants() -> list[tuple[str, str, str]]:
    """(unit_id, name, rater title) of the quarterly contest: counties, zone, departments."""
    out = [(cid, name, f"{name}委副书记") for cid, name, _ in COUNTIES]
    out.append((ZONE[0], ZONE[1], f"{ZONE[1]}党工委副书记"))
    out += [(did, name, f"{name}主要负责人") for did, name in DEPARTMENTS]
    return out


# -- helpers -------------------------------------------------------------------------------


def _split(total: float, decimals: int, weights: dict[str, float]) -> dict[str, float]:
    """Shares of a city-wide target that add up to it exactly at ``decimals``."""
    wsum = sum(weights.values())
    shares = {u: _num(total * w / wsum, decimals) for u, w in weights.items()}
    largest = max(shares, key=lambda u: (shares[u], u))
    shares[largest] = _num(shares[largest] + total - sum(shares.values()), decimals)
    return shares


def _num(x: float, decimals: int) -> float | int:
    return int(round(x)) if decimals == 0 else round(x, decimals)


class Rubric:
    """The rubric of a year, read with kaohe so the data follow its leaves exactly."""

    def __init__(self, year: int):
        from kaohe.rubric import load_rubric

        repo = Path(__file__).resolve().parents[2]
        self.rubric = load_rubric(repo / "params" / SCHEME / f"{year}.yaml").rubric
        self.parent = {n.id: p for n, p, _ in self.rubric.walk()}

    def leaves_under(self, node_id: str):
        return [n for n in self.rubric.leaves() if node_id in self.ancestors(n.id)]

    def ancestors(self, node_id: str) -> list[str]:
        out, node = [node_id], self.parent.get(node_id)
        while node is not None:
            out.append(node.id)
            node = self.parent.get(node.id)
        return out

    def applies(self, node_id: str, unit: str, kind: str, na: set[tuple[str, str]]) -> bool:
        for nid in self.ancestors(node_id):
            n = self.rubric.node(nid)
            if n.applies_to is not None and not n.applies_to.admits(unit, kind):
                return False
            if (unit, nid) in na:
                return False
        return True


# -- the annual data -----------------------------------------------------------------------


def _not_applicable(year: int, targets: dict[str, dict[str, float]]) -> list[list]:
    """The zone's tasks it does not have; counties with no share of a split target."""
    rows = [[ZONE[0], ind, ZONE_REASON] for ind in ZONE_NOT_APPLICABLE]
    for ind, shares in targets.items():
        rows += [[cid, ind, f"{year}年本县区无该项分解任务"] for cid, _, _ in COUNTIES
                 if shares.get(cid, 0) == 0]
    return rows


def _targets(year: int, rub: Rubric, rng: random.Random) -> dict[str, dict[str, float]]:
    """Each county's (and the zone's, where it has the task) share of the city-wide targets."""
    size = {cid: len(TOWNSHIPS[cid].split()) for cid, _, _ in COUNTIES}
    zone_off = {(ZONE[0], ind) for ind in ZONE_NOT_APPLICABLE}
    out = {}
    for ind, spec in TARGETS[year].items():
        if isinstance(spec, dict):
            out[ind] = dict(spec)
            continue
        total, decimals = spec
        weights = {cid: size[cid] * rng.uniform(0.7, 1.3) for cid in size}
        if rub.applies(ind, ZONE[0], "zone", zone_off):
            weights[ZONE[0]] = ZONE_WEIGHT * sum(weights.values()) / len(weights)
        out[ind] = _split(total, decimals, weights)
    return out


def _county_rows(year: int, rub: Rubric, rng: random.Random, targets, na) -> list[list]:
    """Provincial results and the lead departments' scoring of the 24 tasks."""
    rows = []
    kinds = {cid: "county" for cid, _, _ in COUNTIES} | {ZONE[0]: "zone"}
    for cid, _, _ in COUNTIES:
        prov = round(rng.uniform(81.0, 93.5), 1)
        rows.append([cid, "P", "省领导小组", None, prov, "省对市监测评估（第三方评估、抽查复核）"])
    quality = {u: rng.uniform(0.86, 0.98) for u in kinds}
    for leaf in rub.leaves_under("M1"):
        params = leaf.rule
        rule = leaf.rule.kind
        dept = leaf.department.split("、")[0]
        for unit, kind in kinds.items():
            if not rub.applies(leaf.id, unit, kind, na):
                continue
            q = quality[unit]
            if rule == "attainment" and params.target is None:
                target = targets[leaf.id][unit]
                decimals = 0 if isinstance(target, int) else 3
                actual = _num(target * rng.uniform(q - 0.1, q + 0.14), decimals)
                rows.append([unit, leaf.id, dept, "target", target, f"{year}年分解目标"])
                rows.append([unit, leaf.id, dept, "actual", actual, ""])
            elif rule == "attainment":
                rows.append([unit, leaf.id, dept, "actual", _fixed_target_actual(leaf.id, q, rng),
                             _fixed_target_note(leaf.id, rng)])
            elif rule == "checklist":
                for item in params.items:
                    met = 1 if rng.random() < q + 0.04 else 0
                    rows.append([unit, leaf.id, dept, item.id, met,
                                 "" if met else f"未完成：{item.name}"])
            else:  # rater_points: the lead department's points, with its reason for a loss
                lost = round(leaf.max_points * max(0.0, rng.uniform(-0.05, 1.12 - q)), 1)
                value = round(leaf.max_points - lost, 1)
                note = rng.choice(RATER_REASONS[leaf.id]) if value < leaf.max_points else ""
                rows.append([unit, leaf.id, dept, None, value, note])
    return rows


def _fixed_target_actual(leaf_id: str, q: float, rng: random.Random) -> float:
    if leaf_id == "t08e":  # days, fewer is better (target 2)
        return round(rng.uniform(1.4, 2.0 + (0.98 - q) * 6), 1)
    if leaf_id == "t08f":  # days, fewer is better (target 7)
        return round(rng.uniform(5.0, 7.0 + (0.98 - q) * 12), 1)
    if leaf_id == "t13c":  # per cent, at least 87
        return round(rng.uniform(84.0, 88.0 + q * 4), 1)
    return round(min(100.0, rng.uniform(q * 100 - 8, 104)), 1)  # coverage rates, target 100


def _fixed_target_note(leaf_id: str, rng: random.Random) -> str:
    if leaf_id == "t22b":
        n = rng.randint(18, 46)
        return f"主城区社区{n}个"
    if leaf_id == "t08h":
        return "涉改乡镇（街道）供电可靠率、电压合格率抽查"
    return ""


def _task_verdicts(rub: Rubric, rows: list[list], rng: random.Random) -> dict[str, tuple[int, str]]:
    """The office's verdict per task (met the city-wide annual target?), from the counties'
    rows for quantified tasks, a judgement for the others."""
    by = {}
    for unit, ind, _, item, value, _ in rows:
        by.setdefault(ind, []).append((unit, item, value))
    out = {}
    for tid, _, _, _, _, cls in TASKS:
        if cls == "定性":
            met = 1 if rng.random() < 0.8 else 0
            out[tid] = (met, "年度任务完成" if met else "年度重点工作未按期完成")
            continue
        short = []
        for leaf in rub.leaves_under(tid):
            p = leaf.rule
            if leaf.rule.kind != "attainment":
                continue
            vals = by.get(leaf.id, [])
            actual = sum(v for _, i, v in vals if i == "actual")
            what = "" if leaf.id == tid else leaf.name  # a task of one leaf: no repetition
            if p.target is None:
                target = sum(v for _, i, v in vals if i == "target")
                if actual < target - 1e-9:
                    short.append(f"{what}全市完成{round(actual, 3):g}{p.unit_of_measure}、"
                                 f"目标{round(target, 3):g}{p.unit_of_measure}")
            elif p.direction == "lower":
                if any(v > p.target + 1e-9 for _, i, v in vals if i == "actual"):
                    short.append(f"{what}有县区未达到{p.target:g}{p.unit_of_measure}以内")
            elif any(v < p.target - 1e-9 for _, i, v in vals if i == "actual"):
                short.append(f"{what}有县区未达到{p.target:g}{p.unit_of_measure}")
        out[tid] = (0, "；".join(short)) if short else (1, "全市年度量化目标完成")
    return out


def _department_rows(year: int, verdicts, rng: random.Random) -> list[list]:
    rows = []
    for tid, name, _, _, _, _ in TASKS:
        met, note = verdicts[tid]
        rows.append([None, "D1o1", "市领导小组办公室", tid, met, f"{name}：{note}"])
    raters = [(cid, name) for cid, name, _ in COUNTIES] + [ZONE]
    for did, _ in DEPARTMENTS:
        q = rng.uniform(0.82, 0.96)
        score = round(min(99.0, q * 100 + rng.uniform(-3, 3)), 1)
        rows.append([did, "D1o2", "市领导小组办公室", None, score,
                     "" if score >= 95 else rng.choice(RATER_REASONS["D1o2"])])
        for item in ("breakdown", "own_standard", "guidance", "cooperation"):
            met = 1 if rng.random() < q + 0.06 else 0
            rows.append([did, "D1o3", "市领导小组办公室", item, met, "" if met else "未按时完成"])
        for _, rname in raters:
            rows.append([did, "D1c", rname, None, round(min(100.0, q * 100 + rng.uniform(-6, 5)), 1),
                         ""])
    return rows


def _bulletin_rows(year: int, rng: random.Random) -> list[list]:
    """Twelve monthly bulletins: problems found per unit; serious ones lead to a talk."""
    rows = []
    units = [(cid, "M3") for cid, _, _ in COUNTIES] + [(ZONE[0], "M3")]
    units += [(did, "D3") for did, _ in DEPARTMENTS]
    for month in range(1, 13):
        source = f"{year}年第{month}期督导通报（{month}月）"
        for unit, ind in units:
            n = rng.choices([0, 1, 2], weights=[74, 20, 6])[0]
            if n:
                rows.append([unit, ind, source, "problem", n,
                             "；".join(rng.sample(PROBLEMS, n))])
            serious = SERIOUS[year].get((month, unit))
            if serious:
                rows.append([unit, ind, source, "serious", 1, f"{serious}，已约谈分管领导"])
    return rows


def _township_rows(year: int, rng: random.Random) -> list[list]:
    """Each county's own assessment of its townships, on 100; one tie at the 优 cut."""
    names = {c: n for c, n, _ in COUNTIES}
    values: dict[str, float] = {}
    by_county: dict[str, list[str]] = {}
    for tid, _, _, cid in townships():
        by_county.setdefault(cid, []).append(tid)
    for tids in by_county.values():  # distinct within a county: the only tie is the designed one
        for tid, tenths in zip(tids, rng.sample(range(740, 966), len(tids)), strict=True):
            values[tid] = tenths / 10
    cid, share = TIE_AT_CUT[year]
    ranked = sorted(by_county[cid], key=lambda t: -values[t])
    k = int(share * len(ranked) + 0.5)  # the count of 优 under half-up rounding
    cut = values[ranked[k - 1]]
    values[ranked[k]] = cut  # the first township below the cut ties with the last above it
    values[ranked[k - 2]] = max(values[ranked[k - 2]], round(cut + 0.3, 1))
    values[ranked[k + 1]] = min(values[ranked[k + 1]], round(cut - 0.4, 1))
    return [[tid, "T", f"{names[c]}两项改革“后半篇”文章领导小组", None, values[tid], ""]
            for c in by_county for tid in by_county[c]]


def _self_rows(year: int, obs: list[list], rng: random.Random) -> list[list]:
    """Self-assessed provincial results (on P's 80 points): one county far above the check."""
    prov = {r[0]: r[4] for r in obs if r[1] == "P"}
    far, gap = SELF_DISAGREES[year]
    rows = []
    for cid, _, _ in COUNTIES:
        over = gap if cid == far else rng.choice([0.0, 0.5, 1.0, 1.5, 2.5, 4.0])
        rows.append([cid, "P", round(min(100.0, prov[cid] + over) * 0.8, 2)])
    return rows


def _item_rows() -> tuple[list[list], list[list]]:
    items = [[tid, name, cls, PARTS[part]] for tid, name, part, _, _, cls in TASKS]
    roles = []
    for tid, _, _, leads, resp, _ in TASKS:
        roles += [[tid, u, "lead"] for u in leads.split()]
        roles += [[tid, u, "responsible"] for u in resp.split()]
    return items, roles


OBS = ["unit_id", "indicator_id", "source", "item", "value", "note"]


def _annual(root: Path, year: int) -> list[Path]:
    rng = random.Random(SEED * 10 + year)
    rub = Rubric(year)
    directory = root / SCHEME / str(year)
    targets = _targets(year, rub, rng)
    na_rows = _not_applicable(year, targets)
    na = {(r[0], r[1]) for r in na_rows}
    county = _county_rows(year, rub, rng, targets, na)
    verdicts = _task_verdicts(rub, county, rng)
    obs = (county + _department_rows(year, verdicts, rng) + _bulletin_rows(year, rng)
           + _township_rows(year, rng))
    items, roles = _item_rows()
    written = [
        write_csv(directory / "units.csv", ["unit_id", "name", "kind", "pool", "county"], unit_rows()),
        write_csv(directory / "observations.csv", OBS, obs),
        write_csv(directory / "not_applicable.csv", ["unit_id", "indicator_id", "reason"], na_rows),
        write_csv(directory / "self_assessment.csv", ["unit_id", "indicator_id", "points"],
                  _self_rows(year, county, rng)),
        write_csv(directory / "items.csv", ["item_id", "name", "class", "group"], items),
        write_csv(directory / "item_roles.csv", ["item_id", "unit_id", "role"], roles),
    ]
    written += write_meta(directory, "data/generators/guangyuan_reform.py", SEED * 10 + year,
                          f"广元市{year}年度两项改革“后半篇”文章监测评估（考核）的示例数据："
                          "7个县区、广元经济技术开发区、18个市级牵头部门、135个乡镇和7个街道。")
    return written


# -- the quarterly contests ----------------------------------------------------------------


def _contest(root: Path, year: int, quarter: str, offset: int) -> list[Path]:
    stem = f"{year}-{quarter}"
    rng = random.Random(SEED * 100 + year * 10 + offset)
    directory = root / SCHEME / stem
    people = contestants()
    order = CONTEST_ORDER[stem].split()
    quality = {u: 93.0 - 2.5 * i for i, u in enumerate(order)}
    for did, _ in DEPARTMENTS:
        quality[did] = round(rng.uniform(78.0, 94.0), 1)
    rows = []
    for unit, _, _ in people:
        for rater, _, title in people:
            if rater == unit:
                continue  # nobody scores their own unit
            for ind, spread in (("S1", 2.5), ("S2", 3.0)):
                value = round(min(100.0, quality[unit] + rng.uniform(-spread, spread)), 1)
                rows.append([unit, ind, title, None, value, ""])
    annual = {r[0]: r for r in unit_rows()}
    units = [annual[u] for u, _, _ in people]
    written = [
        write_csv(directory / "units.csv", ["unit_id", "name", "kind", "pool"],
                  [r[:4] for r in units]),
        write_csv(directory / "observations.csv", OBS, rows),
    ]
    written += write_meta(directory, "data/generators/guangyuan_reform.py",
                          SEED * 100 + year * 10 + offset,
                          f"广元市{year}年{QUARTER_ZH[quarter]}两项改革“后半篇”文章“现场比武”的示例数据："
                          "7个县区、广元经济技术开发区和18个市级牵头部门，互评打分。")
    return written


def generate(root: Path) -> list[Path]:
    written: list[Path] = []
    for year in YEARS:
        written += _annual(root, year)
        for offset, quarter in enumerate(QUARTERS, start=1):
            written += _contest(root, year, quarter, offset)
    return written
