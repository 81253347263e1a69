"""Sample data for anfu-reform 2017: 58 县直单位 and 19 乡镇 of 安福县, seeded.

The units and the 100 reform items are the document's (001, 附件1): every lead unit (牵头单位)
named there is a department, with the names normalised (``NORMALISE``); the townships are
安福县's 7 towns and 12 townships. Everything else is made up: the responsible units (责任单位),
the 专项 of each item, and every score, count, rating and event.

Three units are written by hand so that tests can work their totals out line by line:
县委组织部 (a star above 100: same work at several levels, the incentive over its cap, a
tie at the 专业测评 cut), 县侨联 (a 警示单位 below 60: both 协同推进 items zeroed, quality
gate failed) and 洲湖镇 (特色影响力 above 20, total just above 100). Five more stars per
kind and one weak township are shaped so that the advanced and warning lists are what the
design says; the 县领导测评 scores are set so two departments tie at the 优 cut.
"""

from __future__ import annotations

import random
from pathlib import Path

from .common import write_csv, write_meta

SCHEME, YEAR, SEED = "anfu-reform", 2017, 2017

# -- 附件1, item by item: (id, name, class, lead units as printed) ------------------------
ITEMS: list[tuple[str, str, str, str]] = [
    ("A01", "实施县域金融创新工程", "A", "县金融办"),
    ("A02", "规范引导农村危旧土坯房拆除、建新及改造", "A", "县住建局"),
    ("A03", "建设“136”幸福教育工程", "A", "县教体局"),
    ("A04", "系统整合公安天网、森林防火、“12345”热线、数字城管、应急指挥、人民防空六大数字平台，"
            "建立智慧安福综合指挥体系", "A", "县政务服务中心"),
    ("A05", "健全城市管理综合行政执法机制，推进城市管理综合行政执法改革和乡镇综合行政执法改革", "A",
     "县住建局、县城管局"),
    ("A06", "基层党建和基层自治双推进，全面开展“一树两强”活动，推行“211”党建示范点创建", "A",
     "县委组织部"),
    ("A07", "开展整治“宽松软”、宣战“庸懒散”、严惩“微腐败”作风整顿活动", "A", "县纪委"),
    ("A08", "建立健全追责问责机制", "A", "县纪委"),
    ("A09", "推行“党建+一线工作法”", "A", "县委组织部"),
    ("A10", "建立容错纠错减责免责机制", "A", "县委组织部"),
    ("A11", "建立健全“马上就办、办就办好”工作机制", "A", "县政务服务中心"),
    ("B01", "“降低企业成本、优化发展环境”专项行动", "B", "县工信委"),
    ("B02", "落实城区居民生活用水阶梯水价机制", "B", "县发改委"),
    ("B03", "“1+3”融资平台建设", "B", "县金融办、县财政局"),
    ("B04", "建立健全园区工作绩效激励与约束机制", "B", "县工业园区管委会"),
    ("B05", "推动商事制度改革，推行“五证合一、一照一码”登记制度，落实“双随机、一公开”监管机制", "B",
     "县市场与质量监管局、县政府法制办"),
    ("B06", "巩固和完善农村土地承包经营权确权登记颁证工作", "B", "县农业局"),
    ("B07", "推进农村集体产权制度改革试点", "B", "县农业局"),
    ("B08", "推进城乡环卫一体化建设", "B", "县住建局、县城管局"),
    ("B09", "完善全域旅游发展统筹协调机制", "B", "县旅发委"),
    ("B10", "推动特色小镇建设试点", "B", "武功山管委会、县住建局"),
    ("B11", "实施“最美樟乡”行动计划", "B", "县林业局"),
    ("B12", "生态规划编制", "B", "县发改委、县生态办"),
    ("B13", "国有林场经营管理改革", "B", "县林业局"),
    ("B14", "探索重点流域生态补偿转移支付办法", "B", "县财政局、县发改委、县生态办"),
    ("B15", "全面推行“河长制”工作", "B", "县水利局、县河长制办"),
    ("B16", "健全涉旅重点村庄的规划、建设、监管机制", "B", "县住建局、县旅发委"),
    ("B17", "自然资源资产负债表编制", "B", "县统计局、县发改委"),
    ("B18", "领导干部自然资源资产离任审计制度", "B", "县审计局"),
    ("B19", "完善弘扬井冈山精神的宣传机制", "B", "县委宣传部"),
    ("B20", "完善新闻发布与网络监管机制", "B", "县委宣传部"),
    ("B21", "执法权力运行机制改革", "B", "县公安局"),
    ("B22", "落实涉稳突出问题责任分工机制。完善矛盾纠纷多元化解机制，推动建立风险防控、联合处置机制。"
            "推进完善阳光信访工作制度", "B", "县委政法委、县信访局"),
    ("B23", "交警执法权授权基层派出所试点改革", "B", "县公安局、县交警大队"),
    ("B24", "深入推进省直管县体制改革试点", "B", "县发改委、县省直管县办"),
    ("B25", "推动政府“放管服”改革", "B", "县政府办"),
    ("B26", "探索乡镇行政体制改革", "B", "县委农工部、县编办"),
    ("B27", "建立健全智慧政务、智慧民生、智慧产业为主体的大数据应用平台", "B", "县政府办"),
    ("B28", "启动国民经济和社会发展规划、城市总体规划、土地利用规划、生态规划等“多规合一”", "B",
     "县发改委、县住建局、县国土资源局"),
    ("B29", "加快“互联网+政务服务”建设", "B", "县政务服务中心"),
    ("B30", "严格和规范双重组织生活制度", "B", "县委组织部"),
    ("B31", "建立健全青年干部八小时外自主学习机制", "B", "县委组织部"),
    ("B32", "推动干部人事制度改革", "B", "县委组织部"),
    ("B33", "完善巡察监督机制", "B", "县纪委、县监察局"),
    ("C01", "发展新经济培育新动能", "C", "县发改委"),
    ("C02", "促进房地产市场健康发展，规范我县房屋征收和安置行为，推行棚改货币化安置方式", "C", "县房管局"),
    ("C03", "实施创新驱动战略", "C", "县科技局"),
    ("C04", "创新招商引资方式，研究实施招商引资优惠政策，建立健全驻点招商机制", "C", "县商务局"),
    ("C05", "落实财税体制改革，推进国地税联合办税改革", "C", "县国税局、县地税局"),
    ("C06", "健全安全生产责任体系", "C", "县安监局"),
    ("C07", "推进现代农业建设、脱贫攻坚、美丽乡村建设，加快培育农业农村发展新动能", "C", "县委农工部"),
    ("C08", "加快现代农业示范园改革创新", "C", "县农业局"),
    ("C09", "落实“三个到位、志智双扶、两表公开”，完善脱贫攻坚责任制", "C", "县扶贫办"),
    ("C10", "统筹整合使用财政涉农扶贫资金，集中安排用于贫困村", "C", "县财政局"),
    ("C11", "落实“产业扶贫信贷通”融资机制", "C", "县扶贫办"),
    ("C12", "落实“财政惠农信贷通”融资机制", "C", "县委农工部"),
    ("C13", "完善并规范农村产权交易市场建设", "C", "县农业局"),
    ("C14", "推进“房地一体”的农村宅基地和农民住房确权登记发证工作", "C", "县国土局"),
    ("C15", "“空心村”整治和农村宅基地管理改革试点", "C", "县国土局"),
    ("C16", "深化集体林权制度改革暨稳妥推进林地流转试点", "C", "县林业局"),
    ("C17", "深化小型水利工程管理体制改革", "C", "县水利局"),
    ("C18", "加快推进农业水价综合改革试点", "C", "县水利局"),
    ("C19", "新型城镇化综合改革试点", "C", "县住建局"),
    ("C20", "推进美丽乡村建设", "C", "县委农工部"),
    ("C21", "健全旅游综合监管机制", "C", "县旅发委"),
    ("C22", "落实省环保机构监测监察执法垂直管理制度改革", "C", "县环保局"),
    ("C23", "全面划定生态红线", "C", "县环保局"),
    ("C24", "严守水资源红线", "C", "县水利局"),
    ("C25", "严守耕地红线", "C", "县国土局"),
    ("C26", "完善生态主体功能区管控", "C", "县发改委"),
    ("C27", "水利规划编制", "C", "县水利局"),
    ("C28", "开展省级水生态文明县、乡(镇)、村自主创建和试点", "C", "县水利局"),
    ("C29", "建设用地使用权转让、出租、抵押二级市场试点", "C", "县国土局"),
    ("C30", "山水林田湖生态保护修复工程试点", "C", "县财政局"),
    ("C31", "碳排放交易制度", "C", "县发改委"),
    ("C32", "实施生态环境损害责任追究和排污许可制度", "C", "县环保局"),
    ("C33", "自然资源资产产权管理", "C", "县国土局"),
    ("C34", "推进媒体深度融合，启动县融媒体中心建设", "C", "县委宣传部"),
    ("C35", "推进公共文化服务标准化、均等化、社会化；培育发展文化领域行业组织；"
            "进一步推进文化市场综合执法改革", "C", "县文广新局"),
    ("C36", "建立改革经验总结宣传联动机制", "C", "县委办、县委改革办"),
    ("C37", "完善人大代表履职平台建设", "C", "县人大"),
    ("C38", "规范县人大常委会依法行使讨论、决定重大事项的职权", "C", "县人大"),
    ("C39", "在已健全县人大常委会内设机构的基础上，配齐必要的职数和充实相关力量", "C", "县人大"),
    ("C40", "强化各专委会与县直单位对口联系", "C", "县政协"),
    ("C41", "政党协商制度化、规范化", "C", "县委统战部"),
    ("C42", "加强民主党派民主监督", "C", "县委统战部"),
    ("C43", "落实司法人员分类管理制度改革", "C", "县法院、县检察院"),
    ("C44", "落实司法责任制改革", "C", "县法院"),
    ("C45", "落实司法人员职业保障制度改革", "C", "县法院、县检察院"),
    ("C46", "落实以案释法制度", "C", "县公安局、检察院、法院、司法局"),
    ("C47", "健全党政机关律师顾问制度", "C", "县政府法制办、司法局"),
    ("C48", "公证处机构改革", "C", "县司法局"),
    ("C49", "医疗体制改革", "C", "县卫计委"),
    ("C50", "养老保险和医疗保险制度改革", "C", "县人社局"),
    ("C51", "健全党员干部红色基因传承培训机制", "C", "县委组织部、县委党校"),
    ("C52", "落实总工会改革方案", "C", "县总工会"),
    ("C53", "落实共青团改革方案", "C", "团县委"),
    ("C54", "落实妇联改革方案", "C", "县妇联"),
    ("C55", "落实科协改革方案", "C", "县科协"),
    ("C56", "落实侨联改革方案", "C", "县侨联"),
]

# One unit, one name: the document writes some units two ways or without 县.
NORMALISE = {"县国土局": "县国土资源局", "检察院": "县检察院", "法院": "县法院", "司法局": "县司法局"}

# The eight 专项 (八大专项小组). The document does not say which item belongs to which;
# this assignment is the project's (docs/schemes.md#anfu-reform).
ECON, RURAL, CULTURE, SOCIAL = "经济体制和生态文明体制改革", "农村改革", "文化体制改革", "社会体制改革"
LAW, PARTY, DISCIPLINE, JUSTICE = "民主法制领域改革", "党的建设制度改革", "纪律检查体制改革", "司法体制改革"
GROUP_ITEMS = {
    ECON: "A01 A11 B01 B02 B03 B04 B05 B09 B10 B11 B12 B13 B14 B15 B17 B18 B24 B25 B27 B28 B29 "
          "C01 C02 C03 C04 C05 C19 C21 C22 C23 C24 C25 C26 C27 C28 C29 C30 C31 C32 C33",
    RURAL: "A02 B06 B07 B16 C07 C08 C09 C10 C11 C12 C13 C14 C15 C16 C17 C18 C20",
    CULTURE: "B19 B20 C34 C35 C36",
    SOCIAL: "A03 A04 B08 B22 C06 C49 C50",
    LAW: "A05 B26 C37 C38 C39 C40 C41 C42 C47",
    PARTY: "A06 A09 A10 B30 B31 B32 C51 C52 C53 C54 C55 C56",
    DISCIPLINE: "A07 A08 B33",
    JUSTICE: "B21 B23 C43 C44 C45 C46 C48",
}
GROUP_OF = {i: g for g, ids in GROUP_ITEMS.items() for i in ids.split()}

DEPARTMENT_IDS = {
    "县金融办": "jinrongban", "县住建局": "zhujianju", "县教体局": "jiaotiju",
    "县政务服务中心": "zhengwu", "县城管局": "chengguanju", "县委组织部": "zuzhibu",
    "县纪委": "jiwei", "县工信委": "gongxinwei", "县发改委": "fagaiwei", "县财政局": "caizhengju",
    "县工业园区管委会": "yuanqu", "县市场与质量监管局": "shichangju", "县政府法制办": "fazhiban",
    "县农业局": "nongyeju", "县旅发委": "lvfawei", "武功山管委会": "wugongshan",
    "县林业局": "linyeju", "县生态办": "shengtaiban", "县水利局": "shuiliju",
    "县河长制办": "hezhangban", "县统计局": "tongjiju", "县审计局": "shenjiju",
    "县委宣传部": "xuanchuanbu", "县公安局": "gonganju", "县委政法委": "zhengfawei",
    "县信访局": "xinfangju", "县交警大队": "jiaojing", "县省直管县办": "zhiguanban",
    "县政府办": "zhengfuban", "县委农工部": "nonggongbu", "县编办": "bianban",
    "县国土资源局": "guotuju", "县监察局": "jianchaju", "县房管局": "fangguanju",
    "县科技局": "kejiju", "县商务局": "shangwuju", "县国税局": "guoshuiju", "县地税局": "dishuiju",
    "县安监局": "anjianju", "县扶贫办": "fupinban", "县环保局": "huanbaoju",
    "县文广新局": "wenguangxinju", "县委办": "xianweiban", "县委改革办": "gaigeban",
    "县人大": "renda", "县政协": "zhengxie", "县委统战部": "tongzhanbu", "县法院": "fayuan",
    "县检察院": "jianchayuan", "县司法局": "sifaju", "县卫计委": "weijiwei", "县人社局": "rensheju",
    "县委党校": "dangxiao", "县总工会": "zonggonghui", "团县委": "tuanxianwei", "县妇联": "fulian",
    "县科协": "kexie", "县侨联": "qiaolian",
}

TOWNSHIPS = [
    ("pingdu", "平都镇"), ("hukeng", "浒坑镇"), ("zhouhu", "洲湖镇"), ("henglong", "横龙镇"),
    ("yangxi", "洋溪镇"), ("yantian", "严田镇"), ("fengtian", "枫田镇"), ("zhujiang", "竹江乡"),
    ("guashe", "瓜畲乡"), ("qianshan", "钱山乡"), ("chigu", "赤谷乡"), ("shanzhuang", "山庄乡"),
    ("yangmen", "洋门乡"), ("jintian", "金田乡"), ("pengfang", "彭坊乡"), ("taishan", "泰山乡"),
    ("liaotang", "寮塘乡"), ("ganluo", "甘洛乡"), ("zhangzhuang", "章庄乡"),
]

# 责任单位: made up, plausible (the document names lead units only).
RESPONSIBLE = {
    "A01": ["县财政局"], "A02": ["县国土资源局", "县扶贫办"], "A03": ["县财政局"],
    "A04": ["县公安局", "县城管局"], "A05": ["县政府法制办", "县编办"], "A06": ["县委农工部"],
    "A07": ["县监察局"], "A08": ["县监察局"], "A10": ["县纪委"], "A11": ["县政府办"],
    "B01": ["县财政局", "县工业园区管委会"], "B02": ["县水利局"], "B05": ["县政务服务中心"],
    "B06": ["县国土资源局"], "B07": ["县财政局"], "B09": ["武功山管委会"], "B11": ["县住建局"],
    "B13": ["县财政局"], "B15": ["县环保局", "县农业局"], "B18": ["县国土资源局"],
    "B19": ["县文广新局"], "B20": ["县公安局"], "B22": ["县司法局", "县公安局"], "B24": ["县财政局"],
    "B25": ["县编办", "县政务服务中心"], "B26": ["县委组织部"], "B29": ["县政府办"],
    "C02": ["县住建局"], "C09": ["县委农工部"], "C11": ["县金融办"], "C12": ["县金融办"],
    "C13": ["县金融办"], "C20": ["县住建局"], "C22": ["县编办"], "C23": ["县林业局"],
    "C25": ["县农业局"], "C28": ["县环保局"], "C34": ["县文广新局"], "C35": ["县委宣传部"],
    "C36": ["县委宣传部"], "C49": ["县人社局"], "C50": ["县卫计委"], "C53": ["县教体局"],
}

HAND = {"zuzhibu", "qiaolian", "zhouhu"}
STAR_DEPTS = ["zuzhibu", "zhujianju", "fagaiwei", "zhengwu", "jiwei", "shuiliju"]
STAR_TOWNS = ["zhouhu", "yantian", "henglong"]
WEAK = {"qiaolian": 0.5, "zhangzhuang": 0.45}  # quality of the designed 警示单位

JOINT = "县委改革办联合考评组"
OFFICE = "县委改革办"
LEADERS = ["县委书记", "县长", "县人大常委会主任", "县政协主席", "县委副书记", "常务副县长",
           "县委常委、组织部长", "县委常委、宣传部长", "县委常委、政法委书记", "县委常委、纪委书记",
           "县委常委、县委办主任"]
RATERS = ["党代表", "人大代表", "政协委员", "企业代表", "服务对象", "群众代表"]

# 专业测评 of the 党的建设 group, fixed: A09 and A10 tie at the 优 cut (2 of 12 items).
PARTY_RATINGS = {"A06": 96.0, "A09": 93.5, "A10": 93.5, "B30": 90.0, "B31": 88.5, "B32": 89.0,
                 "C51": 87.5, "C52": 84.0, "C53": 86.0, "C54": 83.5, "C55": 80.0, "C56": 76.5}
FIXED_RATINGS = {**PARTY_RATINGS, "B26": 85.0}
# items that missed their annual target (分类推进第1项), with the reason recorded
UNMET = {
    "B31": "青年干部自主学习机制未按计划出台考核办法", "C56": "侨联改革方案确定的基层组织建设任务未完成",
    "B04": "园区绩效考核办法未正式印发", "C02": "棚改货币化安置比例未达年度目标",
    "C29": "二级市场试点交易平台未建成", "B18": "离任审计试点未覆盖全部乡镇",
    "C40": "专委会对口联系制度未落实到全部单位", "C06": "安全生产责任清单未全面公布",
    "B27": "大数据应用平台二期未上线",
}

# rubric leaves, in the rubric's order (observations.csv is sorted by them)
LEAVES = ("d1_1_1", "d1_1_2", "d1_2_1", "d1_2_2", "d1_2_3", "d1_2_4", "d2_1_1", "d2_1_2",
          "d2_1_3", "d2_2_1", "d2_2_2", "d3_1", "d3_2", "d4_1", "t1_1_1", "t1_1_2", "t1_1_3",
          "t1_1_4", "t1_2_1", "t1_2_2", "t1_2_3", "t1_2_4", "t2_1_1", "t2_1_2", "t2_1_3",
          "t2_1_4", "t2_2_1", "t2_2_2", "t2_2_3", "t2_2_4", "t3_1")

OBS_HEADER = ["unit_id", "indicator_id", "source", "item", "value", "note"]
EV_HEADER = ["unit_id", "indicator_id", "type", "work", "value", "date", "description"]


def lead_units(text: str) -> list[str]:
    """The lead units of one item, split and normalised (“县公安局、检察院” → two units)."""
    return [NORMALISE.get(n, n) for n in text.split("、")]


def departments() -> list[tuple[str, str]]:
    """(unit_id, name) of every lead unit, in order of first appearance in 附件1."""
    seen: dict[str, str] = {}
    for _, _, _, leads in ITEMS:
        for name in lead_units(leads):
            seen.setdefault(name, DEPARTMENT_IDS[name])
    return [(uid, name) for name, uid in seen.items()]


def _short(name: str) -> str:
    return name.split("，")[0].split("。")[0][:18]


ITEM_NAME = {i: n for i, n, _, _ in ITEMS}


def _led_by(uid: str) -> list[str]:
    name = {u: n for u, n in departments()}[uid]
    return [i for i, _, _, leads in ITEMS if name in lead_units(leads)]


# -- units, items, roles --------------------------------------------------------------


def _units() -> list[list]:
    return ([[u, n, "department"] for u, n in departments()]
            + [[u, n, "township"] for u, n in TOWNSHIPS])


def _items() -> list[list]:
    return [[i, n, c, GROUP_OF[i]] for i, n, c, _ in ITEMS]


def _roles() -> list[list]:
    rows = []
    for i, _, _, leads in ITEMS:
        rows += [[i, DEPARTMENT_IDS[n], "lead"] for n in lead_units(leads)]
        rows += [[i, DEPARTMENT_IDS[n], "responsible"] for n in RESPONSIBLE.get(i, [])]
    return rows


# -- department observations ------------------------------------------------------------

CHECK_NOTES = {
    "research": "未提供改革专题调研报告", "leadership_meeting": "班子会议纪要中无改革工作专题部署",
    "division_of_labour": "改革任务分工方案未印发", "full_time_staff": "未明确专职改革联络员",
    "safeguards": "改革工作经费未落实", "ledger": "上级改革文件对接台账不完整",
    "implementing_rules": "半年内未制定贯彻落实工作细则", "training": "未开展全县性改革业务培训",
}


def _count(rng: random.Random, p: float, trials: int) -> int:
    return sum(rng.random() < p for _ in range(trials))


def _dept_random(uid: str, q: float, rng: random.Random) -> list[list]:
    """A department's own rows (not the hand-written ones), shaped by its quality q."""
    rows: list[list] = []
    for ind, reqs in (("d1_1_1", ["research", "leadership_meeting", "division_of_labour",
                                  "full_time_staff", "safeguards"]),
                      ("d1_1_2", ["ledger", "implementing_rules"]), ("d2_1_3", ["training"])):
        for r in reqs:
            met = 1 if rng.random() < min(0.99, q + 0.06) else 0
            rows.append([uid, ind, JOINT, r, met, "" if met else CHECK_NOTES[r]])
    miss = 1 - q
    for ind, kinds in (
        ("d1_2_1", [("not_filed", 3, 0.5), ("filed_late", 3, 0.7)]),
        ("d1_2_3", [("monthly", 12, 0.35), ("quarterly", 4, 0.3), ("half_year", 1, 0.3),
                    ("year_end", 1, 0.2), ("self_report", 1, 0.2)]),
        ("d1_2_4", [("missed_month", 12, 0.25), ("missed_item", 8, 0.4)]),
        ("d2_1_1", [("inspection_failed", 2, 0.4), ("not_rectified", 2, 0.3)]),
    ):
        for kind, trials, scale in kinds:
            n = _count(rng, miss * scale * 2, trials)
            if n:
                rows.append([uid, ind, OFFICE, kind, n, ""])
    info = max(1, min(8, round(4 + (q - 0.85) * 20 + rng.uniform(-1.5, 1.5))))
    rows.append([uid, "d1_2_2", OFFICE, "count", info, ""])
    rows.append([uid, "d1_2_2", OFFICE, "quality", 0 if uid == "tongjiju" else 1,
                 "报送信息多为工作简讯，质量不达标" if uid == "tongjiju" else ""])
    rows += _satisfaction(uid, q, rng)
    return rows


def _satisfaction(uid: str, q: float, rng: random.Random) -> list[list]:
    rows = []
    for rater in RATERS:
        votes = rng.randint(20, 36)
        happy = min(votes, max(0, round(votes * min(0.995, q + rng.gauss(0.0, 0.025)))))
        rows.append([uid, "d3_1", rater, None, round(happy / votes, 4),
                     f"有效票{votes}张，满意{happy}张"])
    return rows


def _hand_departments() -> list[list]:
    """县委组织部 and 县侨联, row by row (tests/schemes/test_anfu_reform.py recomputes them)."""
    z, q = "zuzhibu", "qiaolian"
    rows: list[list] = []
    for r in ("research", "leadership_meeting", "division_of_labour", "full_time_staff",
              "safeguards"):
        rows.append([z, "d1_1_1", JOINT, r, 1, ""])
    rows += [[z, "d1_1_2", JOINT, "ledger", 1, ""], [z, "d1_1_2", JOINT, "implementing_rules", 1, ""],
             [z, "d1_2_1", OFFICE, "filed_late", 1, "《容错纠错实施办法》出台后第8个工作日报备"],
             [z, "d1_2_2", OFFICE, "count", 6, ""], [z, "d1_2_2", OFFICE, "quality", 1, ""],
             [z, "d1_2_3", OFFICE, "monthly", 1, "7月动态未报"],
             [z, "d2_1_3", JOINT, "training", 1, "11月举办全县党建改革业务培训班"]]
    rows += [[z, "d3_1", r, None, v, n] for r, v, n in (
        ("党代表", 0.96, "有效票25张，满意24张"), ("人大代表", 0.95, "有效票20张，满意19张"),
        ("政协委员", 0.975, "有效票40张，满意39张"), ("企业代表", 0.94, "有效票50张，满意47张"),
        ("服务对象", 0.975, "有效票40张，满意39张"), ("群众代表", 0.96, "有效票25张，满意24张"))]
    for r in ("research", "leadership_meeting", "division_of_labour", "full_time_staff",
              "safeguards"):
        met = 1 if r in ("leadership_meeting", "division_of_labour", "research") else 0
        rows.append([q, "d1_1_1", JOINT, r, met, "" if met else CHECK_NOTES[r]])
    rows += [[q, "d1_1_2", JOINT, "ledger", 1, ""],
             [q, "d1_1_2", JOINT, "implementing_rules", 0, CHECK_NOTES["implementing_rules"]],
             [q, "d1_2_1", OFFICE, "filed_late", 1, "侨联改革实施方案出台后第12个工作日报备"],
             [q, "d1_2_2", OFFICE, "count", 3, ""],
             [q, "d1_2_2", OFFICE, "quality", 0, "报送信息为活动报道，未反映改革进展"],
             [q, "d1_2_3", OFFICE, "monthly", 2, "3月、8月动态未报"],
             [q, "d1_2_3", OFFICE, "half_year", 1, "半年小结未报"],
             [q, "d1_2_4", OFFICE, "missed_month", 4, "4月、5月、9月、10月报表未报"],
             [q, "d1_2_4", OFFICE, "missed_item", 1, "报表漏报改革事项C56"],
             [q, "d2_1_1", OFFICE, "inspection_failed", 1, "第三季度专项督察评价不合格"],
             [q, "d2_1_1", OFFICE, "not_rectified", 1, "《督察意见书》〔2017〕6号逾期未整改"],
             [q, "d2_1_3", JOINT, "training", 0, CHECK_NOTES["training"]]]
    rows += [[q, "d3_1", r, None, v, n] for r, v, n in (
        ("党代表", 0.8, "有效票20张，满意16张"), ("人大代表", 0.75, "有效票20张，满意15张"),
        ("政协委员", 0.85, "有效票20张，满意17张"), ("企业代表", 0.7, "有效票20张，满意14张"),
        ("服务对象", 0.9, "有效票20张，满意18张"), ("群众代表", 0.8, "有效票20张，满意16张"))]
    return rows


# -- item-level observations: completion (d2_2_1) and 专业测评 (d2_2_2) -----------------


def _item_rows(rng: random.Random) -> list[list]:
    rows: list[list] = []
    for i, _, _, _ in ITEMS:
        met = 0 if i in UNMET else 1
        rows.append([None, "d2_2_1", JOINT, i, met, UNMET.get(i, "")])
    for i, _, _, _ in ITEMS:
        value = FIXED_RATINGS.get(i)
        if value is None:
            value = round(rng.uniform(76.0, 95.0) * 2) / 2  # raters score in half points
            if i in UNMET:
                value = min(value, 82.0)
        rows.append([None, "d2_2_2", f"{GROUP_OF[i]}专项总牵头领导", i, value, ""])
    return rows


# -- 县领导测评 scores --------------------------------------------------------------------


def _round_half_up(x: float) -> int:
    return int(x + 0.5 + 1e-9)


def _leader_scores(quality: dict[str, float], rng: random.Random) -> list[list]:
    """Each leader scores every department out of 100; two departments tie at the 优 cut.

    The tie is built by giving the first department below the cut the same scores as the
    last one above it (the same numbers in the same order give the same mean exactly).
    """
    depts = [u for u, _ in departments()]
    scores = {u: [round(min(99.0, max(60.0, 100 * quality[u] + rng.gauss(-4.0, 3.0))), 1)
                  for _ in LEADERS] for u in depts}
    scores["zuzhibu"] = [99.0] * len(LEADERS)  # unanimous: clearly 优
    scores["qiaolian"] = [60.0] * len(LEADERS)  # unanimous: clearly 合格
    n_top = _round_half_up(0.2 * len(depts))
    ranked = sorted(depts, key=lambda u: -sum(scores[u]) / len(LEADERS))
    scores[ranked[n_top]] = list(scores[ranked[n_top - 1]])
    return [[u, "d3_2", leader, None, scores[u][k], ""] for u in depts
            for k, leader in enumerate(LEADERS)]


# -- township observations ------------------------------------------------------------

TOWN_CHECK = {
    "t1_1_1": ["personally_deploy", "personally_review", "personally_coordinate",
               "personally_supervise"],
    "t1_1_3": ["organisation", "full_time_staff", "division_of_labour", "budget"],
    "t2_1_2": ["key_points", "aligned"],
    "t2_1_3": ["ledger", "responsible", "schedule", "targets"],
    "t2_2_3": ["supervision", "guidance"],
}
TOWN_NOTES = {
    "personally_review": "主要领导未签批改革方案", "personally_coordinate": "未见主要领导协调改革难题记录",
    "personally_supervise": "主要领导未带队督察改革落实", "personally_deploy": "党委会未专题部署改革",
    "organisation": "乡镇深改领导小组成员调整后未发文", "full_time_staff": "改革专干由党政办人员兼任",
    "division_of_labour": "班子成员改革分工未明确", "budget": "改革工作经费未列入财政预算",
    "key_points": "年度改革工作要点未印发", "aligned": "要点未对接县委年度改革工作要点",
    "ledger": "未建立改革工作台账", "responsible": "台账未明确责任主体", "schedule": "台账未明确时序进度",
    "targets": "台账未明确目标任务", "supervision": "全年未开展改革督促检查",
    "guidance": "未对村（社区）改革工作进行指导",
}
TOWN_DEDUCTIONS = {
    "t1_1_4": [("poor_cooperation", 3, 0.3)],
    "t1_2_2": [("not_filed", 3, 0.4), ("filed_late", 3, 0.6)],
    "t1_2_3": [("not_filed", 3, 0.4), ("filed_late", 3, 0.6)],
    "t1_2_4": [("monthly", 12, 0.35), ("quarterly", 4, 0.3), ("half_year", 1, 0.3),
               ("year_end", 1, 0.2), ("inspection_reply", 2, 0.3)],
    "t2_1_1": [("not_studied", 5, 0.4)],
    "t2_1_4": [("no_legal_review", 3, 0.4), ("no_risk_assessment", 3, 0.5)],
    "t2_2_1": [("task_behind", 3, 0.5)],
    "t2_2_2": [("measure_late", 3, 0.4)],
    "t2_2_4": [("missed_month", 12, 0.25), ("missed_item", 6, 0.4)],
}


def _town_random(uid: str, q: float, rng: random.Random) -> list[list]:
    rows: list[list] = []
    for ind, reqs in TOWN_CHECK.items():
        for r in reqs:
            met = 1 if rng.random() < min(0.99, q + 0.05) else 0
            rows.append([uid, ind, JOINT, r, met, "" if met else TOWN_NOTES[r]])
    rows.append([uid, "t1_1_2", JOINT, "count", max(0, min(4, round(2 + (q - 0.8) * 10
                                                                    + rng.uniform(-1, 1.5)))), ""])
    rows.append([uid, "t1_2_1", OFFICE, "count", max(1, min(9, round(5 + (q - 0.85) * 20
                                                                     + rng.uniform(-2, 2)))), ""])
    for ind, kinds in TOWN_DEDUCTIONS.items():
        for kind, trials, scale in kinds:
            n = _count(rng, (1 - q) * scale * 2, trials)
            if n:
                rows.append([uid, ind, JOINT if ind.startswith("t2") else OFFICE, kind, n, ""])
    return rows


def _hand_township() -> list[list]:
    """洲湖镇, row by row."""
    z = "zhouhu"
    rows: list[list] = []
    for ind, reqs in TOWN_CHECK.items():
        for r in reqs:
            met = 0 if (ind, r) in {("t1_1_3", "budget"), ("t2_1_3", "targets")} else 1
            rows.append([z, ind, JOINT, r, met, "" if met else TOWN_NOTES[r]])
    rows += [
        [z, "t1_1_2", JOINT, "count", 3, "3月、6月、10月专题调研"],
        [z, "t1_1_4", JOINT, "poor_cooperation", 1, "县农业局反映集体产权清产核资数据报送滞后"],
        [z, "t1_2_1", OFFICE, "count", 4, ""],
        [z, "t1_2_2", OFFICE, "filed_late", 1, "村级事务阳光公开试点第14个工作日报备"],
        [z, "t1_2_4", OFFICE, "monthly", 2, "2月、9月动态迟报"],
        [z, "t2_1_4", JOINT, "no_risk_assessment", 1, "土地流转方案未做社会稳定风险评估"],
        [z, "t2_2_1", JOINT, "task_behind", 1, "村级集体经济组织登记赋码滞后"],
        [z, "t2_2_4", JOINT, "missed_item", 1, "台账漏记乡贤理事会改革"],
    ]
    return rows


# -- events -------------------------------------------------------------------------------


def _ev(uid, ind, typ, work, desc, date):
    return [uid, ind, typ, work, None, date, desc]


def _hand_events() -> list[list]:
    z, q, t = "zuzhibu", "qiaolian", "zhouhu"
    w1, w2, w3, w4 = "党建+一线工作法", "容错纠错减责免责机制", "青年干部八小时外自主学习", "双重组织生活制度"
    return [
        _ev(z, "d2_1_2", "info_provincial", None, "《党建+一线工作法》信息被省委组织部《组工信息》采用", "2017-05-12"),
        _ev(z, "d2_1_2", "info_provincial", None, "容错纠错机制信息被省委改革办《改革信息》采用", "2017-09-20"),
        _ev(z, "d2_1_2", "pilot_provincial", None, "列为全省基层党建“三化”建设试点县牵头单位", "2017-04-03"),
        _ev(z, "d4_1", "publication_provincial", w1, "“党建+一线工作法”经验在《江西改革动态》单篇刊发", "2017-07-18"),
        _ev(z, "d4_1", "instruction_municipal", w1, "“党建+一线工作法”获市委组织部部长肯定性批示", "2017-08-02"),
        _ev(z, "d4_1", "anfu_bulletin", w1, "“党建+一线工作法”在《安福改革动态》第5期刊发", "2017-04-26"),
        _ev(z, "d4_1", "instruction_provincial", w2, "容错纠错减责免责机制获市委主要领导肯定性批示", "2017-10-09"),
        _ev(z, "d4_1", "speech_municipal", w2, "在全市改革工作推进会上作容错纠错机制典型经验发言", "2017-11-16"),
        _ev(z, "d4_1", "anfu_bulletin", w3, "青年干部“八小时外”学习机制在《安福改革动态》第9期刊发", "2017-09-05"),
        _ev(z, "d4_1", "county_website", w4, "双重组织生活制度做法在县政府门户网站改革专栏刊发", "2017-06-14"),
        _ev(z, "d4_1", "county_website", "“一树两强”活动", "“一树两强”活动在县政府门户网站改革专栏刊发", "2017-03-30"),
        _ev(q, "d2_1_2", "info_municipal", None, "侨联改革信息被市委改革办《改革工作交流》采用", "2017-06-08"),
        _ev(q, "d2_1_2", "poor_reporting", None, "未向省侨联汇报侨联改革进展，全县该项考评被扣分", "2017-12-15"),
        _ev(q, "d4_1", "anfu_bulletin", "侨联改革", "侨联“会长+联络员”改革做法在《安福改革动态》第11期刊发", "2017-10-30"),
        _ev(q, "d4_1", "county_website", "侨联改革", "侨联改革做法在县政府门户网站改革专栏刊发", "2017-11-02"),
        _ev(t, "t3_1", "jiangxi_bulletin", "农村集体产权制度改革", "洲湖镇集体产权改革经验在《江西改革动态》单篇刊发", "2017-08-21"),
        _ev(t, "t3_1", "award_municipal", "农村集体产权制度改革", "集体产权改革获吉安市委、市政府表彰", "2017-12-05"),
        _ev(t, "t3_1", "anfu_bulletin", "农村集体产权制度改革", "集体产权改革做法在《安福改革动态》第6期刊发", "2017-05-10"),
        _ev(t, "t3_1", "jian_bulletin", "村级事务阳光公开", "村级事务阳光公开做法在市委改革办《改革工作交流》刊发", "2017-09-12"),
        _ev(t, "t3_1", "tv_jian", "村级事务阳光公开", "村级事务阳光公开在吉安新闻联播单条专题推介", "2017-09-28"),
        _ev(t, "t3_1", "anfu_bulletin", "乡贤理事会", "乡贤理事会参与乡村治理做法在《安福改革动态》第10期刊发", "2017-10-16"),
        _ev(t, "t3_1", "county_website", "“一事一议”财政奖补", "“一事一议”财政奖补做法在县政府门户网站改革专栏刊发", "2017-07-07"),
    ]


# big, designed recognition for the other stars: (unit, indicator, type, work, description)
STAR_EVENTS = [
    ("zhujianju", "d4_1", "award_national", "农村危旧土坯房改造", "农村危旧土坯房改造工作获住房城乡建设部表彰"),
    ("zhujianju", "d4_1", "publication_provincial", "农村危旧土坯房改造", "土坯房改造经验在《江西日报》单篇刊发"),
    ("zhujianju", "d4_1", "site_meeting_municipal", "城市管理综合执法改革", "全市城市管理综合执法改革现场会在安福召开"),
    ("zhujianju", "d4_1", "tv_jiangxi", "城市管理综合执法改革", "城管综合执法改革在江西新闻联播专题推介"),
    ("zhujianju", "d4_1", "publication_municipal", "城乡环卫一体化", "城乡环卫一体化做法在《井冈山报》头版刊发"),
    ("zhujianju", "d4_1", "anfu_bulletin", "特色小镇建设", "特色小镇建设做法在《安福改革动态》刊发"),
    ("zhujianju", "d4_1", "anfu_bulletin", "新型城镇化试点", "新型城镇化试点做法在《安福改革动态》刊发"),
    ("zhujianju", "d2_1_2", "pilot_provincial", None, "列为全省新型城镇化综合改革试点"),
    ("fagaiwei", "d4_1", "publication_provincial", "阶梯水价", "城区阶梯水价改革经验在《江西改革动态》单篇刊发"),
    ("fagaiwei", "d4_1", "speech_municipal", "省直管县体制改革", "在全市改革工作会上作省直管县改革典型发言"),
    ("fagaiwei", "d4_1", "instruction_municipal", "省直管县体制改革", "省直管县改革获县委主要领导肯定性批示"),
    ("fagaiwei", "d4_1", "anfu_bulletin", "多规合一", "“多规合一”做法在《安福改革动态》刊发"),
    ("fagaiwei", "d2_1_2", "info_provincial", None, "省直管县改革信息被省发改委采用"),
    ("zhengwu", "d4_1", "publication_national", "智慧安福综合指挥体系", "智慧安福综合指挥体系经验被中央改革办《改革情况交流》采用"),
    ("zhengwu", "d4_1", "tv_jian", "马上就办", "“马上就办、办就办好”机制在吉安新闻联播专题推介"),
    ("zhengwu", "d2_1_2", "info_municipal", None, "“互联网+政务服务”信息被市政府办采用"),
    ("jiwei", "d4_1", "publication_provincial", "作风整顿", "整治“宽松软”作风整顿经验在《当代江西》单篇刊发"),
    ("jiwei", "d4_1", "anfu_bulletin", "作风整顿", "作风整顿做法在《安福改革动态》刊发"),
    ("jiwei", "d4_1", "instruction_municipal", "巡察监督", "巡察监督机制获市纪委主要领导肯定性批示"),
    ("jiwei", "d4_1", "county_website", "追责问责", "追责问责机制在县政府门户网站改革专栏刊发"),
    ("jiwei", "d2_1_2", "info_provincial", None, "巡察监督信息被省纪委采用"),
    ("shuiliju", "d4_1", "award_municipal", "河长制", "全面推行河长制工作获吉安市委、市政府表彰"),
    ("shuiliju", "d4_1", "tv_jiangxi", "河长制", "河长制工作在江西新闻联播专题推介"),
    ("shuiliju", "d4_1", "publication_municipal", "农业水价综合改革", "农业水价综合改革经验在《改革工作交流》刊发"),
    ("shuiliju", "d4_1", "anfu_bulletin", "小型水利工程管理", "小型水利工程管护改革在《安福改革动态》刊发"),
    ("shuiliju", "d2_1_2", "pilot_provincial", None, "列为全省农业水价综合改革试点"),
    ("yantian", "t3_1", "jiangxi_bulletin", "严田古村保护利用", "严田古村保护利用经验在《江西改革动态》单篇刊发"),
    ("yantian", "t3_1", "speech_municipal", "严田古村保护利用", "在全市改革工作会议上作古村保护典型经验发言"),
    ("yantian", "t3_1", "jian_bulletin", "林下经济合作社", "林下经济合作社做法在《改革工作交流》刊发"),
    ("yantian", "t3_1", "anfu_bulletin", "村级理事会", "村级理事会做法在《安福改革动态》刊发"),
    ("henglong", "t3_1", "award_municipal", "“空心村”整治", "“空心村”整治获吉安市委、市政府表彰"),
    ("henglong", "t3_1", "tv_jian", "“空心村”整治", "“空心村”整治在吉安新闻联播专题推介"),
    ("henglong", "t3_1", "instruction_municipal", "农村宅基地改革", "宅基地管理改革获市委组织部主要领导肯定性批示"),
    ("henglong", "t3_1", "jian_bulletin", "农村宅基地改革", "宅基地管理改革经验在《改革工作交流》刊发"),
    ("henglong", "t3_1", "anfu_bulletin", "乡村环境整治", "乡村环境整治做法在《安福改革动态》刊发"),
    ("zhangzhuang", "t3_1", "county_website", "章庄乡便民服务代办", "便民服务代办做法在县政府门户网站改革专栏刊发"),
    # a zeroed 向上汇报 item outside the hand-checked units
    ("shangwuju", "d2_1_2", "info_provincial", None, "驻点招商机制信息被省商务厅采用"),
    ("shangwuju", "d2_1_2", "pilot_municipal", None, "列为全市招商引资体制改革试点"),
    ("shangwuju", "d2_1_2", "poor_reporting", None, "未及时向市商务局报送改革进展，影响全县考评"),
]


def _date(rng: random.Random) -> str:
    return f"2017-{rng.randint(2, 12):02d}-{rng.randint(1, 28):02d}"


def _random_events(units: list[tuple[str, str]], kind: str, rng: random.Random) -> list[list]:
    rows: list[list] = []
    ind_up, ind_fx = ("d2_1_2", "d4_1") if kind == "department" else (None, "t3_1")
    for uid, name in units:
        if uid in HAND or uid in STAR_DEPTS or uid in STAR_TOWNS or uid in WEAK:
            continue
        works = [ITEM_NAME[i] for i in _led_by(uid)] if kind == "department" else [
            f"{name}{w}" for w in ("村级集体经济", "农村环境整治", "便民服务", "土地流转")]
        if ind_up:
            for _ in range(_count(rng, 0.5, 3)):
                rows.append(_ev(uid, ind_up, "info_municipal", None,
                                f"{_short(rng.choice(works))}信息被市直有关部门采用", _date(rng)))
            if rng.random() < 0.15:
                rows.append(_ev(uid, ind_up, "info_provincial", None,
                                f"{_short(rng.choice(works))}信息被省直有关部门采用", _date(rng)))
        for _ in range(_count(rng, 0.6, 2)):
            w = _short(rng.choice(works))
            rows.append(_ev(uid, ind_fx, "anfu_bulletin", w,
                            f"{w}做法在《安福改革动态》刊发", _date(rng)))
        for _ in range(_count(rng, 0.4, 3)):
            w = _short(rng.choice(works))
            rows.append(_ev(uid, ind_fx, "county_website", w,
                            f"{w}做法在县政府门户网站改革专栏刊发", _date(rng)))
    return rows


def _events(rng: random.Random) -> list[list]:
    rows = _hand_events()
    rows += [_ev(u, i, t, w, d, _date(rng)) for u, i, t, w, d in STAR_EVENTS]
    rows += _random_events(departments(), "department", rng)
    rows += _random_events(TOWNSHIPS, "township", rng)
    return rows


def _hand_weak_township() -> list[list]:
    """章庄乡: a 警示单位 (many shortfalls), written out."""
    u = "zhangzhuang"
    rows: list[list] = []
    unmet = {("t1_1_1", "personally_supervise"), ("t1_1_1", "personally_review"),
             ("t1_1_3", "full_time_staff"), ("t1_1_3", "budget"), ("t2_1_2", "aligned"),
             ("t2_1_3", "schedule"), ("t2_1_3", "targets"), ("t2_2_3", "supervision")}
    for ind, reqs in TOWN_CHECK.items():
        for r in reqs:
            met = 0 if (ind, r) in unmet else 1
            rows.append([u, ind, JOINT, r, met, "" if met else TOWN_NOTES[r]])
    rows += [
        [u, "t1_1_2", JOINT, "count", 1, "全年仅开展1次改革专题调研"],
        [u, "t1_1_4", JOINT, "poor_cooperation", 2, "县林业局、县国土资源局反映配合不力"],
        [u, "t1_2_1", OFFICE, "count", 2, ""],
        [u, "t1_2_2", OFFICE, "not_filed", 2, ""],
        [u, "t1_2_3", OFFICE, "filed_late", 2, ""],
        [u, "t1_2_4", OFFICE, "monthly", 4, ""],
        [u, "t1_2_4", OFFICE, "half_year", 1, ""],
        [u, "t2_1_1", JOINT, "not_studied", 2, ""],
        [u, "t2_1_4", JOINT, "no_risk_assessment", 2, ""],
        [u, "t2_2_1", JOINT, "task_behind", 2, ""],
        [u, "t2_2_2", JOINT, "measure_late", 2, ""],
        [u, "t2_2_4", JOINT, "missed_month", 3, ""],
        [u, "t2_2_4", JOINT, "missed_item", 2, ""],
    ]
    return rows


# -- all tables ---------------------------------------------------------------------------


def _observations(rng: random.Random) -> list[list]:
    depts = [u for u, _ in departments()]
    quality = {u: rng.uniform(0.87, 0.97) for u in depts}
    quality.update({u: rng.uniform(0.95, 0.98) for u in STAR_DEPTS})
    quality.update({"zuzhibu": 0.99, "qiaolian": WEAK["qiaolian"]})
    rows = _hand_departments()
    for u in depts:
        if u not in HAND:
            rows += _dept_random(u, quality[u], rng)
    rows += _item_rows(rng)
    rows += _leader_scores(quality, rng)
    town_q = {u: rng.uniform(0.86, 0.95) for u, _ in TOWNSHIPS}
    town_q.update({u: 0.97 for u in STAR_TOWNS})
    rows += _hand_township()
    rows += _hand_weak_township()
    for u, _ in TOWNSHIPS:
        if u not in HAND and u not in WEAK:
            rows += _town_random(u, town_q[u], rng)
    order = {u: k for k, (u, _, _) in enumerate(_units())}
    leaf_order = {i: k for k, i in enumerate(LEAVES)}
    return sorted(rows, key=lambda r: (leaf_order[r[1]], r[0] is not None,
                                       order.get(r[0], -1)))


def generate(root: Path) -> list[Path]:
    rng = random.Random(SEED)
    directory = root / SCHEME / str(YEAR)
    obs = _observations(rng)
    events = _events(rng)
    order = {u: k for k, (u, _, _) in enumerate(_units())}
    events.sort(key=lambda r: (order[r[0]], r[1]))
    written = [
        write_csv(directory / "units.csv", ["unit_id", "name", "kind"], _units()),
        write_csv(directory / "items.csv", ["item_id", "name", "class", "group"], _items()),
        write_csv(directory / "item_roles.csv", ["item_id", "unit_id", "role"], _roles()),
        write_csv(directory / "observations.csv", OBS_HEADER, obs),
        write_csv(directory / "events.csv", EV_HEADER, events),
    ]
    written += write_meta(
        directory, "data/generators/anfu_reform.py", SEED,
        "安福县2017年度全面深化改革工作分类考核的示例数据（58个县直单位、19个乡镇、附件1的100项改革事项）。"
        "单位和改革事项取自文件，责任单位、专项归属和全部得分、次数、测评、事件均为编造。")
    return written
