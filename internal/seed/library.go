package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/audit"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/failure"
	"github.com/furrowhq/furrow/internal/survey"
)

// This file seeds what the customers say and what the team learned from them: survey
// responses (NPS, CSAT, complaints) shaped by each account's cohort, the audit cases
// the early warnings among them raise (some on the green channel, some followed to a
// close with a root cause), and best-practice cases written by account owners and
// approved by a colleague (published ones quantified and acknowledged by a contact of
// the account; others still drafts or in review). Everything goes through the domain
// services, so their rules (four eyes, the three standards, the close check) hold.

// researchStream is the second PCG word of the research data's stream: a stream of its
// own, so adding it shifts none of the accounts' or signals' draws.
const researchStream = 0x2e5ea2c4000000

// responseSource is the survey source of seeded responses; with their response ids it
// makes a rerun store none twice.
const responseSource = "seed"

// seeded is one account of this run as the research data needs it.
type seeded struct {
	id       uuid.UUID
	contacts []uuid.UUID
	plan     *plan
}

func (a seeded) zh() bool {
	for _, r := range a.plan.account.DisplayName {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// customer reports whether the account has bought (only customers answer surveys and
// have success stories).
func (a seeded) customer() bool { return a.plan.stage >= dealStage }

// npsWeights are the chances of each NPS score (0..10) by cohort: thriving accounts
// mostly promote, dormant ones mostly detract, so the overall NPS lands where real
// B2B software NPS does (roughly +10 to +40).
var npsWeights = map[string][]int{
	cohortThriving: {0, 0, 0, 1, 1, 2, 3, 6, 15, 32, 40},
	cohortSteady:   {0, 1, 1, 2, 3, 5, 8, 22, 25, 18, 15},
	cohortSlipping: {2, 3, 4, 6, 9, 12, 14, 18, 14, 10, 8},
	cohortDormant:  {6, 6, 8, 10, 12, 14, 14, 12, 8, 6, 4},
}

// csatWeights are the chances of CSAT 1..5 by cohort.
var csatWeights = map[string][]int{
	cohortThriving: {1, 2, 7, 40, 50},
	cohortSteady:   {3, 7, 20, 45, 25},
	cohortSlipping: {10, 18, 30, 30, 12},
	cohortDormant:  {18, 22, 30, 22, 8},
}

var (
	zhPraise     = []string{"系统稳定，客服响应很快", "上线后团队效率明显提升", "客户成功经理很专业", "报表很好用，决策更有依据", ""}
	zhNeutral    = []string{"整体还行，希望培训再多一些", "功能够用，价格略高", "部分报表加载偏慢", ""}
	zhCriticism  = []string{"问题反馈后一周没有回复", "升级后数据同步经常出错", "实施延期，影响了旺季备货", "续约报价上涨太多"}
	zhComplaints = []string{"工单超过承诺时效仍未解决，要求升级处理", "上月账单重复扣费，至今未退款", "现场实施人员多次更换，交付延误"}
	enPraise     = []string{"Rock solid, and support answers fast", "The team saves hours every week", "Our CSM really knows our business", "Great dashboards", ""}
	enNeutral    = []string{"Fine overall; more training would help", "Does the job, a bit pricey", "Some reports are slow to load", ""}
	enCriticism  = []string{"No answer to our ticket for a week", "Sync errors since the last upgrade", "The rollout slipped and hurt our peak season", "The renewal quote went up too much"}
	enComplaints = []string{"Ticket past its promised resolution time; escalating", "Double-charged last month and still no refund", "The onboarding consultant changed three times; delivery is late"}
)

// responsesFor draws an account's survey responses over the last half year.
func responsesFor(r *rand.Rand, a seeded, seed int64, i int, today time.Time) []*survey.Response {
	zh := a.zh()
	var out []*survey.Response
	add := func(kind string, score *int, comment, channel string) {
		out = append(out, &survey.Response{Account: a.id, Contact: pick(r, a.contacts), Kind: kind, Score: score, Comment: comment,
			Channel: channel, Time: today.Add(-time.Duration(between(r, 1, 180*24)) * time.Hour), Source: responseSource,
			ResponseID: fmt.Sprintf("seed-%d-%d-%d", seed, i, len(out))})
	}
	channels := []string{"email", "phone", "web"}
	if zh {
		channels = []string{"wechat", "phone", "sms"}
	}
	praise, neutral, criticism, complaints := enPraise, enNeutral, enCriticism, enComplaints
	if zh {
		praise, neutral, criticism, complaints = zhPraise, zhNeutral, zhCriticism, zhComplaints
	}
	for range between(r, 1, 3) {
		s := weighted(r, npsWeights[a.plan.cohort]...)
		comment := pick(r, neutral)
		switch {
		case s >= 9:
			comment = pick(r, praise)
		case s <= 6:
			comment = pick(r, criticism)
		}
		add(survey.KindNPS, &s, comment, pick(r, channels))
	}
	if r.IntN(2) == 0 {
		s := 1 + weighted(r, csatWeights[a.plan.cohort]...)
		add(survey.KindCSAT, &s, "", pick(r, channels))
	}
	if complaintChance := map[string]int{cohortSlipping: 25, cohortDormant: 20}[a.plan.cohort]; r.IntN(100) < max(complaintChance, 4) {
		add(survey.KindComplaint, nil, pick(r, complaints), pick(r, channels))
	}
	return out
}

// caseStory is a best-practice case template: %s in the title is the customer's name.
type caseStory struct {
	title, scenario, problem, category, solution string
	products                                     []string
	results                                      []cases.Result
}

func res(metric string, before, after float64, unit, period, method string) cases.Result {
	return cases.Result{Metric: metric, Before: &before, After: &after, Unit: unit, Period: period, Method: method}
}

var zhStories = []caseStory{
	{"%s：客户流失率从18%%降到7%%", "年度续约前的客户健康度管理", "续约前才发现客户不用系统，流失来不及挽回", "churn",
		"上线健康度评分与预警，客户成功经理按红黄绿分级跟进，季度业务回顾覆盖全部重点客户", []string{"core", "analytics"},
		[]cases.Result{res("年度流失率", 18, 7, "%", "2024年 vs 2025年", "财务系统续约记录统计"), res("季度业务回顾覆盖率", 35, 92, "%", "2025Q1 vs 2025Q4", "CRM 拜访记录")}},
	{"%s：新客户上线周期缩短一半", "新签客户的实施与上线", "实施周期长，客户迟迟看不到价值，首年满意度低", "onboarding",
		"标准化上线手册与里程碑看板，实施顾问与客户成功经理双人负责", []string{"core", "integration"},
		[]cases.Result{res("平均上线周期", 62, 29, "天", "2024H2 vs 2025H2", "项目管理系统里程碑日期")}},
	{"%s：工单首次响应时间从8小时降到1小时", "客服工单处理", "工单分派靠人工，夜间和周末积压，客户投诉响应慢", "service-quality",
		"按客户分层的自动分派与升级规则，移动端接单", []string{"core", "mobile"},
		[]cases.Result{res("首次响应时间中位数", 8, 1, "小时", "2025年3月 vs 2025年9月", "工单系统时间戳统计"), res("投诉量", 46, 12, "件/月", "2025Q1 vs 2025Q3", "投诉台账")}},
	{"%s：门店缺货率从12%%降到3%%", "连锁门店补货", "门店每周缺货，客户满意度下降", "efficiency",
		"需求驱动补货，系统按销量自动生成补货单", []string{"core", "analytics"},
		[]cases.Result{res("缺货率", 12, 3, "%", "2025Q1 vs 2025Q3", "每周门店盘点")}},
}

var enStories = []caseStory{
	{"%s cut churn from 16%% to 6%%", "Renewals of a mid-market customer base", "Customers who had stopped using the product were found only at renewal, too late to save", "churn",
		"Health scores with alerts, a playbook per grade, and quarterly business reviews for every key account", []string{"core", "analytics"},
		[]cases.Result{res("annual logo churn", 16, 6, "%", "FY2024 vs FY2025", "renewals in the billing system"), res("QBR coverage of key accounts", 40, 95, "%", "Q1 vs Q4 2025", "CRM meeting records")}},
	{"%s halved time to first value", "Onboarding new customers", "Long rollouts: customers saw no value for months and first-year satisfaction was low", "onboarding",
		"A standard onboarding plan with milestones shared with the customer, and a named CSM from day one", []string{"core", "integration"},
		[]cases.Result{res("median days to go-live", 58, 27, "days", "H2 2024 vs H2 2025", "project milestones in the PM tool")}},
	{"%s answers tickets within the hour", "Support ticket handling", "Tickets were assigned by hand and piled up overnight; complaints about slow answers", "service-quality",
		"Tier-based automatic routing and escalation rules, and a mobile queue for on-call staff", []string{"core", "mobile"},
		[]cases.Result{res("median first response time", 7, 1, "hours", "March vs September 2025", "ticket system timestamps")}},
	{"%s lifted feature adoption to 70%%", "Product adoption after purchase", "Licences were bought but most teams kept working in spreadsheets", "adoption",
		"In-app guides, monthly adoption reports to the sponsor and targeted training for low-usage teams", []string{"core", "analytics"},
		[]cases.Result{res("weekly active seats", 31, 70, "%", "Q1 vs Q3 2025", "product analytics, seats active in a week")}},
}

// caseTerms are the admin-managed lists the seeded cases use.
var caseTerms = []cases.Term{
	{Kind: cases.KindProblemCategory, Key: "churn", DisplayName: "客户流失 Churn"},
	{Kind: cases.KindProblemCategory, Key: "onboarding", DisplayName: "上线交付 Onboarding"},
	{Kind: cases.KindProblemCategory, Key: "service-quality", DisplayName: "服务质量 Service quality"},
	{Kind: cases.KindProblemCategory, Key: "efficiency", DisplayName: "运营效率 Efficiency"},
	{Kind: cases.KindProblemCategory, Key: "adoption", DisplayName: "产品采用 Adoption"},
	{Kind: cases.KindProduct, Key: "core", DisplayName: "Furrow Core"},
	{Kind: cases.KindProduct, Key: "analytics", DisplayName: "Analytics"},
	{Kind: cases.KindProduct, Key: "integration", DisplayName: "Integration hub"},
	{Kind: cases.KindProduct, Key: "mobile", DisplayName: "Mobile"},
}

// person returns a context acting for a team member (authors and reviewers are people).
func person(ctx context.Context, email string) context.Context {
	return auth.WithCaller(ctx, auth.Caller{Name: "cli", Role: auth.Admin, Person: email})
}

// ensureTerms adds the lists' entries the seeded cases use (kept when already there).
func ensureTerms(ctx context.Context, cs *cases.Service) error {
	terms := append([]cases.Term{}, caseTerms...)
	for _, ind := range industries {
		terms = append(terms, cases.Term{Kind: cases.KindIndustry, Key: ind.key, DisplayName: ind.key})
	}
	for _, t := range terms {
		if _, err := cs.CreateTerm(ctx, t); err != nil && !failure.Is(err, failure.AlreadyExists) {
			return fmt.Errorf("create %s: %w", cases.TermName(t.Kind, t.Key), err)
		}
	}
	return nil
}

// research seeds survey responses, the audit cases their warnings raise, and
// best-practice cases for the accounts this run created.
func research(ctx context.Context, opt Options, accounts []seeded, today time.Time, st *Stats) error {
	r := rand.New(rand.NewPCG(uint64(opt.Seed), researchStream))
	var customers []seeded
	for _, a := range accounts {
		if a.customer() && len(a.contacts) > 0 {
			customers = append(customers, a)
		}
	}
	// Draw everything first, so a service refusing something never shifts the stream.
	var responses []*survey.Response
	for i, a := range customers {
		responses = append(responses, responsesFor(r, a, opt.Seed, i, today)...)
	}
	nCases := min(len(customers), max(5, len(customers)/4))
	chosen := r.Perm(len(customers))[:nCases]
	reviewers := make([]int, nCases)
	for j := range reviewers {
		reviewers[j] = r.IntN(len(zhOwners))
	}

	if opt.Surveys != nil {
		if err := seedResponses(ctx, opt, responses, st); err != nil {
			return err
		}
	}
	if opt.Cases != nil {
		if err := ensureTerms(ctx, opt.Cases); err != nil {
			return err
		}
		for j, k := range chosen {
			if err := seedCase(ctx, opt, customers[k], j, reviewers[j], today, st); err != nil {
				return fmt.Errorf("best-practice case of %s: %w", customers[k].plan.account.DisplayName, err)
			}
		}
	}
	return nil
}

// seedResponses stores the responses, then raises the early warnings of the new
// detractors and complaints (a no-op when the survey service already raised them), and
// works a few of the audit cases: some on the green channel, some resolved, and some
// closed with a root cause and the accountable party.
func seedResponses(ctx context.Context, opt Options, responses []*survey.Response, st *Stats) error {
	var fresh []*survey.Response
	for b := 0; b < len(responses); b += signalBatch {
		batch := responses[b:min(b+signalBatch, len(responses))]
		ids := make([]string, len(batch))
		for i, x := range batch {
			ids[i] = x.ResponseID
		}
		out, created, err := opt.Surveys.BatchCreateResponses(ctx, batch)
		if err != nil {
			return fmt.Errorf("survey responses: %w", err)
		}
		st.Responses += created
		for i, x := range out {
			// stored by this call (a rerun stores none and raises nothing again)
			if x.ID == batch[i].ID && x.Detractor() {
				fresh = append(fresh, x)
			}
		}
	}
	if opt.Audits == nil {
		return nil
	}
	if err := opt.Audits.EnsureDefaults(ctx); err != nil {
		return fmt.Errorf("audit defaults: %w", err)
	}
	// Replayed in time order, as it happened: each warning at its response's moment, and
	// each opened case worked a step a day or so after the last (never past now), so the
	// cases have a history (a past month's audit report has figures), open ones may be
	// overdue, and a warning only joins a case that was open at that moment.
	slices.SortStableFunc(fresh, func(a, b *survey.Response) int { return a.Time.Compare(b.Time) })
	now := opt.Audits.Now()
	at := now
	as := opt.Audits.WithClock(func() time.Time { return at })
	var pending []auditStep
	for i := 0; i < len(fresh) || len(pending) > 0; {
		if len(pending) > 0 && (i == len(fresh) || !pending[0].at.After(fresh[i].Time)) {
			p := pending[0]
			pending, at = pending[1:], p.at
			if _, err := as.Do(ctx, p.id, p.act); err != nil {
				return fmt.Errorf("audit case %s: %s: %w", audit.CaseName(p.id), p.act.Op, err)
			}
			switch p.act.Op {
			case audit.OpGreenChannel:
				st.GreenChannel++
			case audit.OpClose:
				st.ClosedAudits++
			}
			continue
		}
		x := fresh[i]
		i++
		at = x.Time
		source, desc := "SURVEY_DETRACTOR", fmt.Sprintf("NPS %d", deref(x.Score))
		if x.Kind == survey.KindComplaint {
			source, desc = "COMPLAINT", "complaint"
		}
		if x.Comment != "" {
			desc += ": " + x.Comment
		}
		c, created, err := as.Warn(ctx, x.Account, source, survey.ResponseName(x.Account, x.ID), desc)
		if err != nil {
			return fmt.Errorf("early warning: %w", err)
		}
		if created {
			pending = append(pending, auditPlan(c, st.AuditCases, now)...)
			slices.SortStableFunc(pending, func(a, b auditStep) int { return a.at.Compare(b.at) })
			st.AuditCases++
		}
	}
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

var rootCauses = []struct{ code, text, dept string }{
	{"PROCESS", "Escalation rules did not cover weekend tickets; tickets waited for Monday", audit.DefaultDepartment},
	{"COMMUNICATION", "The renewal price change was not explained before the quote was sent", audit.DefaultDepartment},
	{"PRODUCT", "A sync regression in the last upgrade dropped records for large accounts", audit.DefaultDepartment},
	{"PEOPLE", "The onboarding consultant was reassigned twice without a handover", audit.DefaultDepartment},
}

// auditStep is an operation on an audit case at a moment.
type auditStep struct {
	at  time.Time
	id  uuid.UUID
	act audit.Act
}

// auditPlan is how the k-th opened case is worked, by a fixed pattern (cases open in a
// fixed order, so this is deterministic too): one in five expedited and investigated,
// two in five followed to the end and closed with a root cause, one resolved awaiting
// its close, one left open. Steps are a day or so apart, none after now.
func auditPlan(c *audit.Case, k int, now time.Time) []auditStep {
	var acts []audit.Act
	switch k % 5 {
	case 0:
		acts = []audit.Act{{Op: audit.OpGreenChannel, Green: true, Comment: "key account: expedite"},
			{Op: audit.OpInvestigate, Comment: "calling the customer today"}}
	case 1, 2:
		rc := rootCauses[k%len(rootCauses)]
		acts = []audit.Act{{Op: audit.OpInvestigate},
			{Op: audit.OpAccountability, RootCause: rc.code, RootCauseText: rc.text, AccountableDepartment: rc.dept,
				AccountablePerson: teamMember(k) + ownerDomain,
				Actions:           []audit.Action{{Description: "Fix the gap and confirm with the customer", Owner: teamMember(k+1) + ownerDomain}}},
			{Op: audit.OpResolve, Comment: "customer confirmed the fix"},
			{Op: audit.OpClose}}
	case 3:
		acts = []audit.Act{{Op: audit.OpInvestigate}, {Op: audit.OpResolve, Comment: "refund issued"}}
	}
	steps := make([]auditStep, len(acts))
	for i, a := range acts {
		at := c.OpenTime.Add(time.Duration(i+1) * (20*time.Hour + time.Duration(k%7)*time.Hour))
		if at.After(now) {
			at = now
		}
		for j := range a.Actions {
			a.Actions[j].Due = at.AddDate(0, 0, 14)
		}
		steps[i] = auditStep{at: at, id: c.ID, act: a}
	}
	return steps
}

// teamMember returns the k-th member of the whole team, round robin.
func teamMember(k int) string {
	team := append(append([]string{}, zhOwners...), enOwners...)
	return team[k%len(team)]
}

// seedCase writes the j-th best-practice case for account a: three in five published
// (acknowledged by a contact of the account), one in review, one a draft that still
// misses a measurement method. The author is the account's owner (or a team member),
// the reviewer another team member.
func seedCase(ctx context.Context, opt Options, a seeded, j, reviewer int, today time.Time, st *Stats) error {
	zh := a.zh()
	stories, team := enStories, enOwners
	if zh {
		stories, team = zhStories, zhOwners
	}
	story := stories[j%len(stories)]
	author := a.plan.owner
	if author == "" {
		author = team[j%len(team)] + ownerDomain
	}
	rev := team[reviewer%len(team)] + ownerDomain
	if rev == author {
		rev = team[(reviewer+1)%len(team)] + ownerDomain
	}
	name := a.plan.account.DisplayName
	content := cases.Content{Title: fmt.Sprintf(story.title, name), Account: a.id, Industry: a.plan.account.Industry,
		ProblemCategory: story.category, Scenario: story.scenario, Problem: story.problem, Solution: story.solution,
		Products: story.products, Results: append([]cases.Result{}, story.results...), Tags: []string{map[bool]string{true: "标杆客户", false: "flagship"}[zh]}}
	scope := []string{cases.ScopePublic, cases.ScopeSalesReference, cases.ScopeInternal}[j%3]
	content.Ack = &cases.Acknowledgement{Account: a.id, Contact: a.contacts[0], Time: today.AddDate(0, 0, -(10 + j*3)), Scope: scope}
	if j%4 == 1 {
		exp := today.AddDate(1, 0, 0) // acknowledged for a year
		content.Ack.ExpireTime = &exp
	}
	stage := j % 5 // 0-2 published, 3 in review, 4 draft
	if stage == 4 {
		content.Results[0].Method = "" // how it was measured is still to be found out
	}
	c, err := opt.Cases.CreateCase(person(ctx, author), content, fmt.Sprintf("seed-%d-case-%s", opt.Seed, a.id))
	if err != nil {
		return err
	}
	st.Cases++
	if c.State != cases.Draft || c.VersionCount != 1 {
		return nil // an earlier run's case: leave it as it is
	}
	if stage == 4 {
		return nil
	}
	comment := map[bool]string{true: "请审核", false: "ready for review"}[zh]
	if _, err := opt.Cases.Transition(person(ctx, author), c.ID, cases.OpSubmit, "", comment); err != nil {
		return err
	}
	if stage == 3 {
		return nil
	}
	comment = map[bool]string{true: "数据可信，同意发布", false: "numbers check out; approved"}[zh]
	if _, err := opt.Cases.Transition(person(ctx, rev), c.ID, cases.OpApprove, "", comment); err != nil {
		return err
	}
	st.PublishedCases++
	return nil
}
