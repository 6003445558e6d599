-- Schemes (评价方案): the indicator frameworks assessments are scored by. The two shipped
-- defaults (五个好 for collectives, 五标兵 for people; area_code NULL) are inserted below from
-- their Python definitions (gongjian_evaluation.domain.schemes: a unit test checks that the two
-- agree); a district copies one (area_code: the district, based_on: the source) and adjusts its
-- copy. A cycle copies the definition when it opens: changing a scheme never touches a cycle.

CREATE TABLE scheme (
    id         uuid PRIMARY KEY,
    seq        bigserial UNIQUE,                -- listing order (the defaults first) and cursor
    code       text NOT NULL,                   -- the family it descends from: FIVE_GOODS …
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind       text NOT NULL CHECK (kind IN ('COLLECTIVE', 'INDIVIDUAL')),
    area_code  text COLLATE "C",                -- the district owning a copy; NULL: shipped
    based_on   uuid REFERENCES scheme (id),
    version    integer NOT NULL DEFAULT 1,      -- +1 at each update
    definition jsonb NOT NULL,                  -- Scheme.to_json()
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_by text,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- A name says which scheme it is within a district (and among the defaults).
CREATE UNIQUE INDEX scheme_name ON scheme ((coalesce(area_code, '')), name);
CREATE INDEX scheme_area ON scheme (area_code, seq);

INSERT INTO scheme (id, code, name, kind, area_code, based_on, version, definition, created_by)
VALUES
    ('5c4e3e6a-0f0b-5c55-9a11-000000000001', 'FIVE_GOODS', '五个好', 'COLLECTIVE', NULL, NULL, 1,
$definition$
{"code": "FIVE_GOODS", "name": "五个好", "kind": "COLLECTIVE", "dimensions": [
  {"code": "LEADERSHIP", "labelZh": "领导班子好", "labelEn": "A good leadership team", "weight": "20", "indicators": [
    {"code": "leader_posts", "labelZh": "班子配备", "labelEn": "Leadership posts filled", "kind": "MEASURED", "weight": "40", "metric": "leader_posts_filled", "curve": {"type": "LINEAR", "floor": "1", "target": "3", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "team_unity", "labelZh": "班子团结", "labelEn": "A united team", "kind": "SCORED", "weight": "30", "metric": null, "curve": null, "guidanceZh": "班子成员分工明确、团结协作，民主集中制执行到位", "guidanceEn": "Clear duties, working together, democratic centralism observed"},
    {"code": "leading_by_example", "labelZh": "带头示范", "labelEn": "Leading by example", "kind": "SCORED", "weight": "30", "metric": null, "curve": null, "guidanceZh": "班子成员带头参加组织生活、学习和志愿服务", "guidanceEn": "Leaders are first to join meetings, study and volunteering"}
  ]},
  {"code": "TEAM", "labelZh": "队伍建设好", "labelEn": "A well-built team", "weight": "20", "indicators": [
    {"code": "training", "labelZh": "学习培训", "labelEn": "Training held", "kind": "MEASURED", "weight": "35", "metric": "training_count", "curve": {"type": "LINEAR", "floor": "0", "target": "4", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "volunteering", "labelZh": "志愿服务", "labelEn": "Volunteer hours per member", "kind": "MEASURED", "weight": "35", "metric": "volunteer_hours_per_member", "curve": {"type": "LINEAR", "floor": "0", "target": "8", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "team_growth", "labelZh": "队伍发展", "labelEn": "Growing the team", "kind": "SCORED", "weight": "30", "metric": null, "curve": null, "guidanceZh": "发展新成员、培养骨干、推优入党的情况", "guidanceEn": "New members, developing activists, recommendations to the party"}
  ]},
  {"code": "MECHANISM", "labelZh": "工作机制好", "labelEn": "Good working mechanisms", "weight": "20", "indicators": [
    {"code": "joint_decisions", "labelZh": "联席会议决定落实", "labelEn": "Joint-meeting decisions done", "kind": "MEASURED", "weight": "35", "metric": "decisions_done_rate", "curve": {"type": "LINEAR", "floor": "0.5", "target": "0.95", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "pledges", "labelZh": "服务承诺兑现", "labelEn": "Public pledges fulfilled", "kind": "MEASURED", "weight": "35", "metric": "pledges_fulfilled_rate", "curve": {"type": "LINEAR", "floor": "0.5", "target": "1", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "rules_in_place", "labelZh": "制度健全", "labelEn": "Sound rules, kept", "kind": "SCORED", "weight": "30", "metric": null, "curve": null, "guidanceZh": "组织生活、议事决策、信息通报、财务管理等制度健全并执行", "guidanceEn": "Rules for meetings, decisions, bulletins and finances exist and are kept"}
  ]},
  {"code": "PERFORMANCE", "labelZh": "工作业绩好", "labelEn": "Good work done", "weight": "20", "indicators": [
    {"code": "activities", "labelZh": "活动开展", "labelEn": "Activities completed", "kind": "MEASURED", "weight": "40", "metric": "activities_completed", "curve": {"type": "LINEAR", "floor": "0", "target": "12", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "cases_resolved", "labelZh": "诉求办结", "labelEn": "Cases resolved", "kind": "MEASURED", "weight": "30", "metric": "case_resolution_rate", "curve": {"type": "LINEAR", "floor": "0.6", "target": "0.95", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "cases_on_time", "labelZh": "按时办结", "labelEn": "Cases resolved on time", "kind": "MEASURED", "weight": "30", "metric": "case_on_time_rate", "curve": {"type": "LINEAR", "floor": "0.6", "target": "0.95", "cap": "100"}, "guidanceZh": null, "guidanceEn": null}
  ]},
  {"code": "FEEDBACK", "labelZh": "群众反映好", "labelEn": "Good public feedback", "weight": "20", "indicators": [
    {"code": "member_review", "labelZh": "群众评议", "labelEn": "Members' review", "kind": "SCORED", "weight": "50", "metric": null, "curve": null, "guidanceZh": "组织成员匿名评议各维度（1至5分），平均分×20计", "guidanceEn": "The members rate each dimension anonymously (1 to 5); mean × 20"},
    {"code": "satisfaction", "labelZh": "诉求满意度", "labelEn": "Satisfaction with cases", "kind": "MEASURED", "weight": "30", "metric": "case_satisfaction_mean", "curve": {"type": "LINEAR", "floor": "3", "target": "4.8", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "visits", "labelZh": "走访联系群众", "labelEn": "Visits to residents", "kind": "MEASURED", "weight": "20", "metric": "visits_count", "curve": {"type": "LINEAR", "floor": "0", "target": "12", "cap": "100"}, "guidanceZh": null, "guidanceEn": null}
  ]}
]}
$definition$::jsonb, 'system'),
    ('5c4e3e6a-0f0b-5c55-9a11-000000000002', 'FIVE_MODELS', '五标兵', 'INDIVIDUAL', NULL, NULL, 1,
$definition$
{"code": "FIVE_MODELS", "name": "五标兵", "kind": "INDIVIDUAL", "dimensions": [
  {"code": "LEARNING", "labelZh": "自觉学习", "labelEn": "Learning of one's own accord", "weight": "20", "indicators": [
    {"code": "trainings", "labelZh": "参加学习培训", "labelEn": "Training attended", "kind": "MEASURED", "weight": "60", "metric": "trainings_attended", "curve": {"type": "LINEAR", "floor": "0", "target": "4", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "learning_results", "labelZh": "学习成效", "labelEn": "What was learnt", "kind": "SCORED", "weight": "40", "metric": null, "curve": null, "guidanceZh": "学习理论和业务知识，学以致用的情况", "guidanceEn": "Study of theory and of the work, and putting it to use"}
  ]},
  {"code": "POLICY", "labelZh": "执行政策", "labelEn": "Carrying out policy", "weight": "20", "indicators": [
    {"code": "policy_carried_out", "labelZh": "政策执行", "labelEn": "Policy carried out", "kind": "SCORED", "weight": "60", "metric": null, "curve": null, "guidanceZh": "宣传、执行党和国家方针政策及组织决定的情况", "guidanceEn": "Explaining and carrying out policies and the organisation's decisions"},
    {"code": "activities", "labelZh": "参加组织活动", "labelEn": "Activities attended", "kind": "MEASURED", "weight": "40", "metric": "activities_attended", "curve": {"type": "LINEAR", "floor": "0", "target": "6", "cap": "100"}, "guidanceZh": null, "guidanceEn": null}
  ]},
  {"code": "SERVICE", "labelZh": "服务职工/青年/妇女", "labelEn": "Serving workers, youth and women", "weight": "20", "indicators": [
    {"code": "volunteer_hours", "labelZh": "志愿服务时长", "labelEn": "Volunteer hours", "kind": "MEASURED", "weight": "60", "metric": "volunteer_hours", "curve": {"type": "LINEAR", "floor": "0", "target": "40", "cap": "100"}, "guidanceZh": null, "guidanceEn": null},
    {"code": "service_feedback", "labelZh": "服务对象评价", "labelEn": "What those served say", "kind": "SCORED", "weight": "40", "metric": null, "curve": null, "guidanceZh": "服务对象和群众对其服务的评价", "guidanceEn": "What the people served say of the service"}
  ]},
  {"code": "DEDICATION", "labelZh": "爱岗敬业", "labelEn": "Dedication to the job", "weight": "20", "indicators": [
    {"code": "work_results", "labelZh": "岗位业绩", "labelEn": "Results at work", "kind": "SCORED", "weight": "60", "metric": null, "curve": null, "guidanceZh": "本职工作完成情况和业绩", "guidanceEn": "How the job was done and what came of it"},
    {"code": "setting_an_example", "labelZh": "示范带动", "labelEn": "Setting an example", "kind": "SCORED", "weight": "40", "metric": null, "curve": null, "guidanceZh": "在单位和群众中的示范带动作用", "guidanceEn": "The example set to colleagues and residents"}
  ]},
  {"code": "LAW", "labelZh": "遵纪守法", "labelEn": "Abiding by the law", "weight": "20", "indicators": [
    {"code": "discipline", "labelZh": "遵纪守法", "labelEn": "Law and discipline", "kind": "SCORED", "weight": "60", "metric": null, "curve": null, "guidanceZh": "遵守法律法规和组织纪律，无违法违纪", "guidanceEn": "Keeps the law and the organisation's discipline; no breaches"},
    {"code": "integrity", "labelZh": "廉洁自律与社会公德", "labelEn": "Integrity and public morals", "kind": "SCORED", "weight": "40", "metric": null, "curve": null, "guidanceZh": "廉洁自律、遵守社会公德和家庭美德", "guidanceEn": "Integrity, public morals and family virtues"}
  ]}
]}
$definition$::jsonb, 'system');
