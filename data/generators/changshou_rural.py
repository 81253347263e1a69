"""Sample data for changshou-rural 2023: 19 镇街 of 长寿区, seeded.

Made up, but shaped like the real thing: one department score per unit and indicator with
the department's reason for every point taken off; the cross inspection, the phone survey
and the third-party evaluation on their own scales; awards that overlap on the same work;
one unit inspected in all three municipal rounds with the problems of 002's worked example
(0.5, 0.3, 0.1); one veto; and two units tied exactly at the quota cut for 好.
"""

from __future__ import annotations

import random
from pathlib import Path

from .common import write_csv, write_meta

SCHEME, YEAR, SEED = "changshou-rural", 2023, 2023

UNITS = [
    ("fengcheng", "凤城街道", "street"), ("yanjia", "晏家街道", "street"),
    ("jiangnan", "江南街道", "street"), ("duzhou", "渡舟街道", "street"),
    ("xinshi", "新市街道", "street"), ("bake", "八颗街道", "street"),
    ("puti", "菩提街道", "street"), ("dandu", "但渡镇", "town"), ("yunji", "云集镇", "town"),
    ("changshouhu", "长寿湖镇", "town"), ("shuanglong", "双龙镇", "town"),
    ("longhe", "龙河镇", "town"), ("shiyan", "石堰镇", "town"), ("yuntai", "云台镇", "town"),
    ("haitang", "海棠镇", "town"), ("gelan", "葛兰镇", "town"), ("honghu", "洪湖镇", "town"),
    ("wanshun", "万顺镇", "town"), ("linfeng", "邻封镇", "town"),
]
NO_R22 = {"puti", "fengcheng", "yanjia", "duzhou", "xinshi", "dandu", "linfeng", "haitang"}

# indicator -> (department, maximum, reasons a department gives for points taken off)
DEPARTMENT_SCORES = {
    "r01": ("区乡村振兴局", 3, ["党委会专题研究巩固衔接工作少于规定次数", "年度工作部署未细化到村"]),
    "r02": ("区乡村振兴局", 2, ["内设科室行业监督检查记录不全", "站所责任清单未及时更新"]),
    "r03": ("区委组织部", 5, ["驻村工作队员在岗考勤不达标1人次", "驻村工作日志记录不规范"]),
    "r04": ("区民政局", 5, ["低保动态调整不及时2户", "临时救助审批超时限"]),
    "r05": ("区教委", 5, ["教育资助信息比对不及时", "控辍保学台账更新滞后"]),
    "r06": ("区住建委", 5, ["农房安全动态监测未全覆盖", "危旧房改造资料不完整"]),
    "r07a": ("区卫健委", 5, ["家庭医生签约服务履约率偏低", "慢病随访记录不全"]),
    "r07b": ("区医保局", 5, ["监测对象参保动态核查不及时", "医疗救助一站式结算资料缺失"]),
    "r08": ("区水利局", 5, ["农村供水工程水质检测频次不足", "饮水问题动态清零台账不全"]),
    "r09": ("区乡村振兴局", 3, ["监测对象识别纳入不及时1户", "风险消除程序不规范"]),
    "r10": ("区人力社保局", 5, ["脱贫劳动力务工就业未达目标任务", "公益性岗位管理不规范"]),
    "r11": ("区农业农村委", 3, ["产业项目联农带农机制不健全", "扶持政策兑现滞后"]),
    "r12": ("区商务委", 2, ["消费帮扶销售额未达目标"]),
    "r13": ("区农业农村委", 2, ["户厕问题整改未按期完成", "农村生活污水治理率偏低"]),
    "r14": ("区农业农村委", 2, ["积分制覆盖村数未达要求"]),
    "r15": ("区乡村振兴局", 3, ["审计发现问题整改未按期销号1个", "信访件办理超期1件"]),
    "r17": ("区乡村振兴局", 3, ["脱贫户人均纯收入增幅低于全区平均水平"]),
    "r21": ("区乡村振兴局", 5, ["衔接资金支出进度滞后", "项目资产登记不完整"]),
    "r22": ("区乡村振兴局", 2, ["重点帮扶村产业项目推进滞后"]),
}

OBS_HEADER = ["unit_id", "indicator_id", "source", "item", "value", "note"]
EV_HEADER = ["unit_id", "indicator_id", "type", "work", "value", "date", "description"]


def _observations(rng: random.Random) -> list[list]:
    rows: list[list] = []
    for uid, _, _ in UNITS:
        quality = rng.uniform(0.86, 0.99)
        for ind, (dept, mx, reasons) in DEPARTMENT_SCORES.items():
            if ind == "r22" and uid in NO_R22:
                continue
            lost_steps = max(0, round((1 - quality) * mx * 10 + rng.uniform(-1.5, 1.5)))
            value = max(0.0, mx - lost_steps / 10)
            note = "" if value >= mx else rng.choice(reasons)
            rows.append([uid, ind, dept, None, value, note])
        cross = round(min(99.0, quality * 100 + rng.uniform(-4, 2)), 1)
        rows.append([uid, "r18", "镇街交叉检查组", None, cross,
                     "" if cross >= 95 else "入户核查发现帮扶措施台账与实际不符"])
        sample = rng.randint(80, 120)
        agree = min(sample, round(sample * rng.uniform(0.9, 0.995)))
        rows.append([uid, "r19", "电话调查", None, round(agree / sample, 4),
                     f"有效样本{sample}户，认可{agree}户"])
        site = round(min(98.0, quality * 100 + rng.uniform(-6, 1)), 1)
        rows.append([uid, "r20", "第三方评估机构（西南大学）", None, site,
                     "" if site >= 95 else "“大走访大排查大整改”问题整改不彻底"])
    return rows


def _events() -> list[list]:
    return [
        # bonus: the same work at two levels counts once; the total is capped at 2
        ["jiangnan", "bonus", "national_pilot", "江南街道以工代赈", None, "2023-06-12",
         "以工代赈项目明确为国家级试点示范"],
        ["jiangnan", "bonus", "municipal_pilot", "江南街道以工代赈", None, "2023-03-02",
         "以工代赈项目明确为市级试点示范"],
        ["jiangnan", "bonus", "central_media", "江南街道稻渔综合种养", None, "2023-09-18",
         "稻渔综合种养经验获“5家中央媒体”单条报道"],
        ["jiangnan", "bonus", "municipal_commend", "江南街道防返贫监测", None, "2023-12-01",
         "防返贫监测帮扶工作获市委、市政府表彰"],
        ["jiangnan", "bonus", "chongqing_media", "江南街道消费帮扶", None, "2023-10-20",
         "消费帮扶专柜做法获华龙网单条报道"],
        ["jiangnan", "bonus", "district_commend", "江南街道乡村治理", None, "2023-12-28",
         "乡村治理“积分制”工作获区委、区政府表彰"],
        ["longhe", "bonus", "municipal_dept_commend", "龙河镇脱贫人口务工", None, "2023-11-08",
         "脱贫人口稳岗就业工作受市人力社保局表彰"],
        ["longhe", "bonus", "district_commend", "龙河镇脱贫人口务工", None, "2023-05-16",
         "脱贫人口稳岗就业工作获区委、区政府表彰"],
        ["yunji", "bonus", "chongqing_media", "云集镇庭院经济", None, "2023-07-04",
         "庭院经济做法获重庆日报单条报道"],
        ["yunji", "bonus", "chongqing_media", "云集镇积分制", None, "2023-08-22",
         "乡村治理积分制做法获华龙网单条报道"],
        ["bake", "bonus", "central_info_combined", None, None, "2023-09-30",
         "防返贫监测经验信息被中办国办信息刊物综合刊载"],
        # inspections: 石堰镇 reproduces the worked example of section 五 of 002
        ["shiyan", "inspections", "municipal_inspection", None, 0.5, "2023-08-15",
         "市级专项督查发现监测对象帮扶措施不精准"],
        ["shiyan", "inspections", "cross_check", None, 0.3, "2023-11-10",
         "区县交叉核查发现脱贫户收入核算有误"],
        ["shiyan", "inspections", "third_party", None, 0.1, "2024-01-12",
         "市级第三方评估发现群众认可度问卷信息不一致"],
        ["changshouhu", "inspections", "municipal_inspection", None, None, "2023-08-16",
         "接受市级专项督查，未发现问题"],
        ["changshouhu", "inspections", "third_party", None, None, "2024-01-11",
         "接受市级第三方评估，未发现问题"],
        ["gelan", "inspections", "cross_check", None, None, "2023-11-09",
         "接受区县交叉核查，未发现问题"],
        ["wanshun", "inspections", "third_party", None, None, "2024-01-13",
         "接受市级第三方评估，未发现问题"],
        ["honghu", "inspections", "cross_check", None, 0.2, "2023-11-11",
         "区县交叉核查发现住房安全鉴定资料缺失"],
        # veto: row 16 of the attachment
        ["yuntai", "r16", "return_to_poverty", None, None, "2024-05-20",
         "实地评估发现1户监测户因帮扶措施落实不到位返贫"],
    ]


def _score_pool(root: Path) -> None:
    """Make the unit just below the 好 cut tie exactly with the last unit above it."""
    import kaohe.engine
    from kaohe.dataset import load_dataset
    from kaohe.rubric import load_rubric

    repo = Path(__file__).resolve().parents[2]
    rubric = load_rubric(repo / "params" / SCHEME / f"{YEAR}.yaml").rubric
    directory = root / SCHEME / str(YEAR)
    totals = kaohe.engine.score(rubric, load_dataset(directory)).totals
    pool = totals[~totals["vetoed"]].sort_values("total", ascending=False, kind="mergesort")
    cut = round(0.3 * len(pool))
    last_in = pool.iloc[cut - 1]["unit_id"]
    na = last_in in NO_R22
    with_events = {row[0] for row in _events()}
    first_out = next(u for u in pool["unit_id"].iloc[cut:]
                     if (u in NO_R22) == na and u not in with_events)
    _copy_unit(directory, last_in, first_out)


def _copy_unit(directory: Path, src: str, dst: str) -> None:
    for name in ("observations.csv", "events.csv"):
        path = directory / name
        lines = path.read_text(encoding="utf-8").splitlines()
        head, body = lines[0], lines[1:]
        kept = [ln for ln in body if not ln.startswith(dst + ",")]
        copied = [dst + ln[len(src):] for ln in body if ln.startswith(src + ",")]
        path.write_text("\n".join([head, *sorted(kept + copied, key=_unit_order)]) + "\n",
                        encoding="utf-8")


def _unit_order(line: str) -> int:
    uid = line.split(",", 1)[0]
    return [u for u, _, _ in UNITS].index(uid)


def generate(root: Path) -> list[Path]:
    rng = random.Random(SEED)
    directory = root / SCHEME / str(YEAR)
    written = [
        write_csv(directory / "units.csv", ["unit_id", "name", "kind"], [list(u) for u in UNITS]),
        write_csv(directory / "observations.csv", OBS_HEADER, _observations(rng)),
        write_csv(directory / "events.csv", EV_HEADER, _events()),
    ]
    written += write_meta(directory, "data/generators/changshou_rural.py", SEED,
                          "长寿区2023年度镇街巩固拓展脱贫攻坚成果考核的示例数据（19个镇街）。")
    _score_pool(root)
    return written
