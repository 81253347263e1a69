"""Rules over events: level_points (anfu 汇报), highest_per_work (changshou 加分, anfu
特色影响力), credits_findings (changshou 第五条), veto."""

from __future__ import annotations

from helpers import ctx, deltas, events, pts, run_rule, texts

# -- level_points: anfu 协同推进 2. (6 points) -----------------------------------------

REPORTING = {
    "levels": {
        "adopted_central": {"name": "改革信息被中央有关部门采用", "points": 6},
        "adopted_provincial": {"name": "改革信息被省有关部门采用", "points": 3},
        "adopted_municipal": {"name": "改革信息被市有关部门采用", "points": 1.5},
        "pilot_central": {"name": "被中央有关部门列为改革试点单位", "points": 6},
        "pilot_provincial": {"name": "被省有关部门列为改革试点单位", "points": 5},
        "pilot_municipal": {"name": "被市有关部门列为改革试点单位", "points": 4},
    },
    "cap": 6,
    "zero_types": {"poor_reporting": "因汇报沟通不到位，影响全县考评"},
}


def test_level_points_sum_below_the_cap():
    ev = events([
        {"unit_id": "a", "type": "adopted_provincial", "description": "河长制信息被省河长办采用"},
        {"unit_id": "a", "type": "adopted_municipal", "description": "水价信息被市发改委采用"},
    ])
    r = run_rule("level_points", REPORTING, ctx(["a", "b"], 6, event_frame=ev))
    assert pts(r) == {"a": 4.5, "b": 0.0}  # 3 + 1.5
    assert texts(r, "a") == ["改革信息被省有关部门采用：河长制信息被省河长办采用，得3分",
                             "改革信息被市有关部门采用：水价信息被市发改委采用，得1.5分"]
    assert list(r.inputs) == ["计分事项2项", "无计分事项"]


def test_level_points_capped_at_six():
    # 3 + 3 + 1.5 = 7.5 → 6 封顶; a provincial pilot 5 + municipal pilot 4 = 9 → 6
    ev = events([
        {"unit_id": "a", "type": "adopted_provincial"}, {"unit_id": "a", "type": "adopted_provincial"},
        {"unit_id": "a", "type": "adopted_municipal"},
        {"unit_id": "b", "type": "pilot_provincial"}, {"unit_id": "b", "type": "pilot_municipal"},
        {"unit_id": "c", "type": "adopted_central"},
    ])
    r = run_rule("level_points", REPORTING, ctx(["a", "b", "c"], 6, event_frame=ev))
    assert pts(r) == {"a": 6.0, "b": 6.0, "c": 6.0}
    assert deltas(r, "a") == [3.0, 3.0, 1.5, -1.5]
    assert texts(r, "a")[-1] == "本项累计7.5分，6分封顶，超出的1.5分不计"
    assert texts(r, "b")[-1] == "本项累计9分，6分封顶，超出的3分不计"
    assert deltas(r, "c") == [6.0]  # exactly at the cap: no cap line


def test_level_points_zeroed_by_poor_reporting():
    ev = events([
        {"unit_id": "a", "type": "pilot_municipal", "description": "列为市级试点"},
        {"unit_id": "a", "type": "poor_reporting", "description": "省对县考评中对口工作被扣分"},
        {"unit_id": "b", "type": "adopted_provincial"}, {"unit_id": "b", "type": "adopted_provincial"},
        {"unit_id": "b", "type": "adopted_central"},
        {"unit_id": "b", "type": "poor_reporting", "description": "未及时汇报"},
    ])
    r = run_rule("level_points", REPORTING, ctx(["a", "b"], 6, event_frame=ev))
    assert pts(r) == {"a": 0.0, "b": 0.0}
    assert deltas(r, "a") == [4.0, -4.0]
    assert texts(r, "a")[-1] == "因汇报沟通不到位，影响全县考评：省对县考评中对口工作被扣分，本项不得分"
    # b: 3 + 3 + 6 = 12, capped to 6 (−6), then zeroed (−6)
    assert deltas(r, "b") == [3.0, 3.0, 6.0, -6.0, -6.0]


def test_level_points_zero_event_alone():
    ev = events([{"unit_id": "a", "type": "poor_reporting", "description": "未汇报"}])
    r = run_rule("level_points", REPORTING, ctx(["a"], 6, event_frame=ev))
    assert pts(r) == {"a": 0.0}
    assert texts(r, "a") == ["因汇报沟通不到位，影响全县考评：未汇报，本项不得分"]


def test_level_points_declares_its_event_types():
    from kaohe.rules import REGISTRY

    model = REGISTRY["level_points"].model_validate(REPORTING)
    assert model.event_types() == set(REPORTING["levels"]) | {"poor_reporting"}


# -- highest_per_work: changshou 加分 (cap 2, 就高不就低) ------------------------------

BONUS = {
    "cap": 2, "what": "加分",
    "levels": {
        "central_commend": {"name": "获得党中央、国务院表彰", "points": 1},
        "ministry_commend": {"name": "受到中央和国家机关部门表彰", "points": 0.5},
        "municipal_commend": {"name": "获得市委、市政府表彰", "points": 0.5},
        "municipal_dept_commend": {"name": "受到市级有关部门表彰", "points": 0.3},
        "district_commend": {"name": "获得区委、区政府表彰", "points": 0.2},
        "national_pilot": {"name": "明确为国家级试点示范", "points": 1},
        "municipal_pilot": {"name": "明确为市级试点示范", "points": 0.5},
        "central_info_single": {"name": "经验类信息获中办国办信息刊物单篇刊载", "points": 0.3},
        "central_info_combined": {"name": "经验类信息被中办国办信息刊物综合刊载", "points": 0.2},
        "central_media": {"name": "获“5家中央媒体”单条报道", "points": 0.3},
        "chongqing_media": {"name": "获重庆日报、华龙网等单条报道", "points": 0.2},
    },
}


def test_bonus_same_work_counts_once_at_its_highest():
    # national pilot 1 and municipal pilot 0.5 on the same work → 1
    ev = events([
        {"unit_id": "jiangnan", "type": "municipal_pilot", "work": "以工代赈",
         "description": "以工代赈项目明确为市级试点示范"},
        {"unit_id": "jiangnan", "type": "national_pilot", "work": "以工代赈",
         "description": "以工代赈项目明确为国家级试点示范"},
    ])
    r = run_rule("highest_per_work", BONUS, ctx(["jiangnan"], 2, event_frame=ev))
    assert pts(r) == {"jiangnan": 1.0}
    assert deltas(r, "jiangnan") == [1.0, 0.0]
    assert texts(r, "jiangnan") == [
        "明确为国家级试点示范：以工代赈项目明确为国家级试点示范（以工代赈），得1分",
        "同一工作已按最高级别计分，明确为市级试点示范：以工代赈项目明确为市级试点示范不重复计分（0分）",
    ]
    assert list(r.inputs) == ["计分工作1项"]


def test_bonus_different_works_add_up():
    # 1 (national pilot) + 0.5 (municipal commendation) + 0.3 (central media) = 1.8 ≤ 2
    ev = events([
        {"unit_id": "a", "type": "national_pilot", "work": "以工代赈"},
        {"unit_id": "a", "type": "municipal_pilot", "work": "以工代赈"},
        {"unit_id": "a", "type": "municipal_commend", "work": "防返贫监测"},
        {"unit_id": "a", "type": "central_media", "work": "稻渔综合种养"},
    ])
    r = run_rule("highest_per_work", BONUS, ctx(["a", "b"], 2, event_frame=ev))
    assert pts(r) == {"a": 1.8, "b": 0.0}
    assert list(r.inputs) == ["计分工作3项", "无计分事项"]


def test_bonus_capped_at_two():
    # 1 + 1 + 0.5 = 2.5 → 2; two works with no work named each count on their own
    ev = events([
        {"unit_id": "a", "type": "national_pilot", "work": "以工代赈"},
        {"unit_id": "a", "type": "central_commend", "work": "消费帮扶"},
        {"unit_id": "a", "type": "municipal_commend", "work": "防返贫监测"},
        {"unit_id": "b", "type": "chongqing_media", "description": "重庆日报报道一"},
        {"unit_id": "b", "type": "chongqing_media", "description": "华龙网报道二"},
        {"unit_id": "c", "type": "national_pilot", "work": "以工代赈"},
        {"unit_id": "c", "type": "central_commend", "work": "消费帮扶"},
    ])
    r = run_rule("highest_per_work", BONUS, ctx(["a", "b", "c"], 2, event_frame=ev))
    # b: 0.2 + 0.2, different (unnamed) works; c: 1 + 1 = 2, exactly at the cap
    assert pts(r) == {"a": 2.0, "b": 0.4, "c": 2.0}
    assert deltas(r, "c") == [1.0, 1.0]  # no 封顶 line when nothing is cut off
    assert texts(r, "a")[-1] == "加分累计2.5分，2分封顶，超出的0.5分不计"
    assert deltas(r, "a")[-1] == -0.5


def test_bonus_same_work_is_per_unit():
    # two units reporting the same work name are two works
    ev = events([{"unit_id": "a", "type": "national_pilot", "work": "以工代赈"},
                 {"unit_id": "b", "type": "municipal_pilot", "work": "以工代赈"}])
    r = run_rule("highest_per_work", BONUS, ctx(["a", "b"], 2, event_frame=ev))
    assert pts(r) == {"a": 1.0, "b": 0.5}


# -- highest_per_work: anfu 改革特色影响力 (no cap: 上不封顶) ---------------------------

INFLUENCE = {
    "what": "改革特色影响力",
    "levels": {
        "national": {"name": "省部级以上表彰、批示、刊发等", "points": 20},
        "provincial": {"name": "市厅级表彰、批示、刊发等", "points": 15},
        "municipal": {"name": "市厅级领导批示、《井冈山报》刊发等", "points": 10},
        "county_bulletin": {"name": "《安福改革动态》单篇刊发", "points": 5},
        "county_website": {"name": "县政府门户网站改革专栏单篇刊发", "points": 1},
    },
}


def test_influence_adds_up_without_a_cap():
    ev = events([
        # 林权改革: national 20, also in 《安福改革动态》 5 → once, at 20
        {"unit_id": "forest", "type": "county_bulletin", "work": "林权改革"},
        {"unit_id": "forest", "type": "national", "work": "林权改革"},
        # 河长制: provincial 15
        {"unit_id": "forest", "type": "provincial", "work": "河长制"},
        # two 《安福改革动态》 articles on two works: 5 + 5
        {"unit_id": "forest", "type": "county_bulletin", "work": "最美樟乡"},
        {"unit_id": "forest", "type": "county_bulletin", "work": "国有林场"},
        # three website articles with no work named: 1 each
        {"unit_id": "forest", "type": "county_website", "description": "网站专栏文章一"},
        {"unit_id": "forest", "type": "county_website", "description": "网站专栏文章二"},
        {"unit_id": "forest", "type": "county_website", "description": "网站专栏文章三"},
    ])
    r = run_rule("highest_per_work", INFLUENCE, ctx(["forest", "none"], 20, event_frame=ev))
    # 20 + 15 + 5 + 5 + 1 + 1 + 1 = 48 > 20: no cap
    assert pts(r) == {"forest": 48.0, "none": 0.0}
    assert sum(d == 0.0 for d in deltas(r, "forest")) == 1  # the bulletin article on 林权改革
    assert "同一工作已按最高级别计分，《安福改革动态》单篇刊发" in texts(r, "forest")[-1]


def test_influence_website_and_bulletin_on_one_work_count_the_bulletin():
    ev = events([{"unit_id": "a", "type": "county_website", "work": "河长制"},
                 {"unit_id": "a", "type": "county_bulletin", "work": "河长制"}])
    r = run_rule("highest_per_work", INFLUENCE, ctx(["a"], 20, event_frame=ev))
    assert pts(r) == {"a": 5.0}


# -- credits_findings: changshou 第五条 -------------------------------------------------

ROUNDS = {"lost_by": "长寿区", "rounds": {
    "municipal_inspection": {"name": "市级专项督查", "credit": 0.2},
    "cross_check": {"name": "区县交叉核查", "credit": 0.2},
    "third_party": {"name": "市级第三方评估", "credit": 0.3},
}}


def test_credits_the_documents_worked_example():
    # X镇: problems cost 长寿区 0.5, 0.3 and 0.1 → −0.5 − 0.3 − 0.1 = −0.9 and no credit
    ev = events([
        {"unit_id": "x", "type": "municipal_inspection", "value": 0.5, "description": ""},
        {"unit_id": "x", "type": "cross_check", "value": 0.3, "description": ""},
        {"unit_id": "x", "type": "third_party", "value": 0.1, "description": ""},
    ])
    r = run_rule("credits_findings", ROUNDS, ctx(["x"], 0.7, event_frame=ev))
    assert pts(r) == {"x": -0.9}
    assert sorted(deltas(r, "x")) == [-0.5, -0.3, -0.1]
    assert ("在市级专项督查中出现问题导致长寿区被扣0.5分，取消本轮赋分0.2分，并扣减0.5分"
            in texts(r, "x"))
    assert "在市级第三方评估中出现问题导致长寿区被扣0.1分，取消本轮赋分0.3分，并扣减0.1分" in texts(r, "x")
    assert list(r.inputs) == ["接受检查3轮，其中发现问题3轮"]


def test_credits_without_problems_and_mixed():
    ev = events([
        # y: inspected in all three rounds, no problem: 0.2 + 0.2 + 0.3 = 0.7
        {"unit_id": "y", "type": "municipal_inspection", "description": "接受督查"},
        {"unit_id": "y", "type": "cross_check", "value": 0, "description": "接受核查"},
        {"unit_id": "y", "type": "third_party", "description": "接受评估"},
        # z: fine in the inspection (+0.2), problem costing 0.3 in the cross-check (−0.3)
        {"unit_id": "z", "type": "municipal_inspection", "description": "接受督查"},
        {"unit_id": "z", "type": "cross_check", "value": 0.3, "description": "户籍信息不一致"},
    ])
    r = run_rule("credits_findings", ROUNDS, ctx(["y", "z", "w"], 0.7, event_frame=ev))
    assert pts(r) == {"y": 0.7, "z": -0.1, "w": 0.0}
    assert "接受市级第三方评估，赋分0.3分（接受评估）" in texts(r, "y")
    assert ("在区县交叉核查中出现问题导致长寿区被扣0.3分，取消本轮赋分0.2分，并扣减0.3分（户籍信息不一致）"
            in texts(r, "z"))
    assert list(r.inputs)[2] == "未接受上级检查"


def test_credits_several_findings_in_one_round_add_up():
    # two problems in one round, 0.2 and 0.1: one round, −0.3, credit once cancelled
    ev = events([{"unit_id": "x", "type": "third_party", "value": 0.2, "description": "问题一"},
                 {"unit_id": "x", "type": "third_party", "value": 0.1, "description": "问题二"}])
    r = run_rule("credits_findings", ROUNDS, ctx(["x"], 0.7, event_frame=ev))
    assert pts(r) == {"x": -0.3}
    assert len(texts(r, "x")) == 1


# -- veto ----------------------------------------------------------------------------

VETO = {"cases": {
    "large_scale_return": {"name": "存在规模性返贫", "effect": "last_grade",
                           "says": "一票否决，直接评为最后一个等次"},  # changshou 八: its words
    "criticism": {"name": "受到通报批评", "effect": "last_grade"},  # 七（二）: no words for it
    "held_to_account": {"name": "领导班子有关责任人受到责任追究", "effect": "no_advanced"},
    "fraud": {"name": "弄虚作假", "effect": "zero"},
}}


def test_veto_flags_with_effects_and_no_points():
    ev = events([
        {"unit_id": "a", "type": "large_scale_return", "description": "某村出现规模性返贫"},
        {"unit_id": "b", "type": "held_to_account", "description": "副县长被问责"},
        {"unit_id": "c", "type": "fraud", "description": "数字脱贫"},
        {"unit_id": "d", "type": "criticism", "description": "被市委通报批评"},
    ])
    r = run_rule("veto", VETO, ctx(["a", "b", "c", "d"], 0, event_frame=ev))
    assert pts(r) == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0}
    f = r.flags.set_index("unit_id")
    assert f.at["a", "effect"] == "last_grade"
    assert f.at["a", "text"] == "存在规模性返贫：某村出现规模性返贫，一票否决，直接评为最后一个等次"
    assert f.at["b", "text"] == "领导班子有关责任人受到责任追究：副县长被问责，不得评为先进"
    assert f.at["c", "text"] == "弄虚作假：数字脱贫，一票否决，按评分细则考核得分计为0分"
    assert f.at["c", "ref"] == "events.csv:4"
    assert f.at["d", "text"] == "受到通报批评：被市委通报批评，一票否决，按评分细则评为最后一个等次"
    assert list(r.inputs) == ["否决情形1项", "否决情形1项", "否决情形1项", "否决情形1项"]
    assert deltas(r, "a") == [0.0]


# -- highest_per_work with per_piece: anfu 特色影响力 第4项 (every article counts) -----------

ANFU_4 = {
    "cap": None, "what": "改革特色影响力", "per_piece": ["anfu_bulletin", "county_website"],
    "levels": {
        "publication_provincial": {"name": "经验材料在《江西改革动态》单篇刊发", "points": 15},
        "anfu_bulletin": {"name": "经验材料在《安福改革动态》单篇刊发", "points": 5},
        "county_website": {"name": "经验材料在县政府门户网站改革专栏单篇刊发", "points": 1},
    },
}


def test_per_piece_every_article_of_a_work_counts_at_its_highest_level():
    ev = events([
        {"unit_id": "a", "type": "anfu_bulletin", "work": "w1", "description": "第一篇"},
        {"unit_id": "a", "type": "anfu_bulletin", "work": "w1", "description": "第二篇"},
        {"unit_id": "a", "type": "county_website", "work": "w1", "description": "网站"},
        {"unit_id": "b", "type": "anfu_bulletin", "work": "w2", "description": "动态"},
        {"unit_id": "b", "type": "anfu_bulletin", "work": "w2", "description": "动态二"},
        {"unit_id": "b", "type": "publication_provincial", "work": "w2", "description": "省刊"},
        {"unit_id": "c", "type": "county_website", "work": "w3", "description": "一"},
        {"unit_id": "c", "type": "county_website", "work": "w3", "description": "二"},
        {"unit_id": "c", "type": "county_website", "work": "w3", "description": "三"},
    ])
    r = run_rule("highest_per_work", ANFU_4, ctx(["a", "b", "c"], 20, event_frame=ev))
    # a: 2 × 5 = 10 beats 1; b: 15 beats 2 × 5; c: 3 × 1
    assert pts(r) == {"a": 10.0, "b": 15.0, "c": 3.0}
    assert sorted(deltas(r, "a")) == [0.0, 5.0, 5.0]
    assert r.inputs["a"] == "计分工作1项"


def test_per_piece_off_counts_a_work_once():
    ev = events([
        {"unit_id": "a", "type": "anfu_bulletin", "work": "w1", "description": "第一篇"},
        {"unit_id": "a", "type": "anfu_bulletin", "work": "w1", "description": "第二篇"},
    ])
    once = {**ANFU_4, "per_piece": []}
    assert pts(run_rule("highest_per_work", once, ctx(["a"], 20, event_frame=ev))) == {"a": 5.0}


def test_per_piece_names_known_levels():
    import pytest
    from pydantic import ValidationError

    from kaohe.rules import REGISTRY
    with pytest.raises(ValidationError):
        REGISTRY["highest_per_work"].model_validate({**ANFU_4, "per_piece": ["nope"]})
