package main

import (
	"context"
	"database/sql"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/cases"
	"github.com/furrowhq/furrow/internal/listing"
	"github.com/furrowhq/furrow/internal/store"
)

// The cases benchmark: -cases-count best-practice cases of 2,000 accounts (half
// Chinese, half English text; 90 % published with the acknowledgement of a contact of
// the account in force, the rest drafts),
// loaded with COPY together with their search documents (a small vocabulary, so most
// words match 20-45 % of a language's cases, plus a place name in each title, which
// matches ~2.5 %); then full-text searches as a
// viewer (published cases only, first page of 20, ranked) through the cases service
// (what ListCases calls: the search statement, loading the cases and their versions,
// the checklists) and, in the same run and interleaved (in alternating order), the bare search statement the
// service runs (store.CaseSearchSQL: the same SQL, its rows read, nothing else). Prints
// p50/p99 of each and the ratio, per kind of query.

const casesScenario = "cases"

const casesSeed = 20261203

var (
	zhWords = []string{"客户", "满意度", "门店", "缺货", "补货", "仓储", "拣货", "效率", "提升", "降低", "成本", "库存", "周转", "供应链",
		"数字化", "转型", "销售", "线索", "转化", "续约", "流失", "预警", "服务", "响应", "时间", "投诉", "质量", "生产", "排程", "设备",
		"故障", "维修", "能耗", "物流", "配送", "准时率", "财务", "对账", "自动化", "审批", "流程", "会员", "复购", "营销", "渠道", "经销商",
		"订单", "交付", "周期", "项目", "实施", "培训", "系统", "上线", "数据", "分析", "报表", "决策", "医院", "患者", "门诊", "学校", "教学"}
	enWords = []string{"customer", "satisfaction", "store", "stock", "replenishment", "warehouse", "picking", "efficiency", "improved",
		"reduced", "cost", "inventory", "turnover", "supply", "chain", "digital", "transformation", "sales", "lead", "conversion", "renewal",
		"churn", "warning", "service", "response", "time", "complaint", "quality", "production", "scheduling", "equipment", "failure",
		"maintenance", "energy", "logistics", "delivery", "on-time", "finance", "reconciliation", "automation", "approval", "workflow",
		"member", "repurchase", "marketing", "channel", "dealer", "order", "cycle", "project", "rollout", "training", "system", "launch",
		"data", "analytics", "report", "decision", "hospital", "patient", "clinic", "school", "teaching"}
	// Places make selective queries: one in each title, ~2.5 % of a language's cases
	// each.
	zhPlaces = []string{"杭州", "苏州", "成都", "武汉", "西安", "南京", "青岛", "厦门", "长沙", "郑州", "合肥", "昆明", "大连", "宁波", "无锡",
		"佛山", "东莞", "济南", "福州", "南昌", "贵阳", "南宁", "太原", "石家庄", "哈尔滨", "长春", "沈阳", "兰州", "乌鲁木齐", "呼和浩特",
		"海口", "三亚", "珠海", "温州", "嘉兴", "绍兴", "烟台", "洛阳", "常州", "徐州"}
	enPlaces = []string{"Rotterdam", "Hamburg", "Lyon", "Milan", "Seattle", "Denver", "Austin", "Osaka", "Busan", "Perth", "Auckland",
		"Toronto", "Calgary", "Dublin", "Porto", "Valencia", "Krakow", "Prague", "Vienna", "Zurich", "Oslo", "Helsinki", "Tallinn", "Riga",
		"Vilnius", "Gdansk", "Leipzig", "Antwerp", "Bilbao", "Seville", "Naples", "Turin", "Geneva", "Basel", "Graz", "Brno", "Bergen",
		"Malmo", "Aarhus", "Tampere"}
	casesIndustries = []string{"retail", "logistics", "manufacturing", "healthcare", "education", "finance", "energy", "automotive", "food", "software"}
	casesProducts   = []string{"core", "wms", "crm", "bi", "erp", "mes", "iot", "ai"}
)

// casesQuery is one search the benchmark runs.
type casesQuery struct {
	kind string
	req  cases.ListRequest
}

func casesQueries() []casesQuery {
	var qs []casesQuery
	for _, w := range []string{"客户", "缺货", "供应链", "准时率", "满意度 提升", "仓储 拣货 效率"} {
		qs = append(qs, casesQuery{"Chinese", cases.ListRequest{Query: w, PageSize: 20}})
	}
	for _, w := range []string{"customer", "warehouse", "replenishment", "on-time delivery", "churn warning", "pick"} {
		qs = append(qs, casesQuery{"English", cases.ListRequest{Query: w, PageSize: 20}})
	}
	for _, w := range []string{"杭州", "乌鲁木齐", "Rotterdam", "Tampere", "苏州 库存", "Leipzig delivery"} {
		qs = append(qs, casesQuery{"selective", cases.ListRequest{Query: w, PageSize: 20}})
	}
	qs = append(qs,
		casesQuery{"+ filters", cases.ListRequest{Query: "库存", Industry: "retail", PageSize: 20}},
		casesQuery{"+ filters", cases.ListRequest{Query: "delivery", Product: "wms", PageSize: 20}},
		casesQuery{"+ filters", cases.ListRequest{Query: "效率", Tag: "标杆", PageSize: 20}},
		casesQuery{"no match", cases.ListRequest{Query: "区块链", PageSize: 20}},
		casesQuery{"no match", cases.ListRequest{Query: "blockchain", PageSize: 20}},
	)
	return qs
}

func runCases(ctx context.Context, cfg config) error {
	n := cfg.casesCount
	fmt.Printf("cases: %d cases (half Chinese, half English; 90%% published), full-text search as a viewer, first page of 20; %d rounds of %d queries, service and bare SQL interleaved\n",
		n, cfg.casesRounds, len(casesQueries()))
	db, _, done, err := migratedDatabase(ctx)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	loaded, err := loadCases(ctx, db.DB, mrand.New(mrand.NewPCG(casesSeed, casesSeed)), n)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	fmt.Printf("loaded %d cases (%d published), %d terms, %d search documents with COPY, then VACUUM ANALYZE, in %s\n",
		loaded.cases, loaded.published, loaded.terms, loaded.cases, time.Since(start).Round(time.Millisecond))

	st := store.New(db)
	svc := cases.NewService(st, cases.Options{})
	viewer := auth.WithCaller(ctx, auth.Caller{Name: "apiKeys/bench-viewer", Role: auth.Viewer})
	qs := casesQueries()

	type timings struct{ svc, sql []time.Duration }
	measureAll := func(label string) error {
		byKind := map[string]*timings{}
		all := &timings{}
		hits := make([]int, len(qs))
		// runOne runs query i through the service and as bare SQL, the SQL first when
		// sqlFirst: alternating the order keeps either from always reading the pages
		// the other just brought into the cache.
		runOne := func(i int, record, sqlFirst bool) error {
			q := qs[i]
			// The bare statement: the same filter the service builds for a viewer.
			f := cases.Filter{View: cases.ViewPublished, Query: cases.ParseQuery(q.req.Query), Industry: q.req.Industry, Product: q.req.Product,
				Tag: q.req.Tag, Now: time.Now().UTC()}
			query, args, err := st.CaseSearchSQL(f, 20, nil)
			if err != nil {
				return err
			}
			var dSvc, dSQL time.Duration
			var p *listing.Page[*cases.Case]
			viaService := func() error {
				t0 := time.Now()
				var err error
				if p, err = svc.ListCases(viewer, q.req); err != nil {
					return fmt.Errorf("service %q: %w", q.req.Query, err)
				}
				dSvc = time.Since(t0)
				return nil
			}
			viaSQL := func() error {
				t1 := time.Now()
				if err := drain(ctx, db.DB, query, args...); err != nil {
					return fmt.Errorf("sql %q: %w", q.req.Query, err)
				}
				dSQL = time.Since(t1)
				return nil
			}
			first, second := viaService, viaSQL
			if sqlFirst {
				first, second = viaSQL, viaService
			}
			if err := first(); err != nil {
				return err
			}
			if err := second(); err != nil {
				return err
			}
			hits[i] = len(p.Items)
			if record {
				k := byKind[q.kind]
				if k == nil {
					k = &timings{}
					byKind[q.kind] = k
				}
				for _, t := range []*timings{k, all} {
					t.svc = append(t.svc, dSvc)
					t.sql = append(t.sql, dSQL)
				}
			}
			return nil
		}
		for i := range qs { // warm-up, unrecorded
			if err := runOne(i, false, false); err != nil {
				return err
			}
		}
		for round := range cfg.casesRounds {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			for i := range qs {
				if err := runOne(i, true, round%2 == 1); err != nil {
					return err
				}
			}
		}
		var b strings.Builder
		for i, q := range qs {
			fmt.Fprintf(&b, " %q:%d", q.req.Query, hits[i])
		}
		fmt.Printf("hits on the first page:%s\n", b.String())
		fmt.Printf("\n%-12s %8s %10s %10s %10s %10s %8s %8s\n", label, "runs", "svc p50", "svc p99", "SQL p50", "SQL p99", "p50 x", "p99 x")
		row := func(name string, t *timings) {
			s, q := slices.Clone(t.svc), slices.Clone(t.sql)
			slices.Sort(s)
			slices.Sort(q)
			sp50, sp99, qp50, qp99 := percentile(s, 0.50), percentile(s, 0.99), percentile(q, 0.50), percentile(q, 0.99)
			fmt.Printf("%-12s %8d %10s %10s %10s %10s %7.2fx %7.2fx\n", name, len(s), ms(sp50), ms(sp99), ms(qp50), ms(qp99),
				float64(sp50)/float64(qp50), float64(sp99)/float64(qp99))
		}
		for _, k := range []string{"Chinese", "English", "selective", "+ filters", "no match"} {
			if t := byKind[k]; t != nil {
				row(k, t)
			}
		}
		row("all", all)
		if cfg.casesExplain {
			f := cases.Filter{View: cases.ViewPublished, Query: cases.ParseQuery("客户"), Now: time.Now().UTC()}
			query, args, err := st.CaseSearchSQL(f, 20, nil)
			if err != nil {
				return err
			}
			plan, err := explain(ctx, db.DB, query, args...)
			if err != nil {
				return err
			}
			fmt.Printf("\nEXPLAIN of the search for 客户:\n%s\n", plan)
		}
		return nil
	}
	if err := measureAll("(as migrated)"); err != nil {
		return err
	}
	if strings.TrimSpace(cfg.casesSQL) == "" {
		return nil
	}
	for stmt := range strings.SplitSeq(cfg.casesSQL, ";") {
		if stmt = strings.TrimSpace(stmt); stmt == "" {
			continue
		}
		t := time.Now()
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
		fmt.Printf("\nran %s (%s)\n", stmt, time.Since(t).Round(time.Millisecond))
	}
	return measureAll("(after -cases-sql)")
}

// casesLoad is what loadCases wrote.
type casesLoad struct{ cases, published, terms int }

func pick[T any](r *mrand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func sentence(r *mrand.Rand, zh bool, words int) string {
	var b strings.Builder
	for i := range words {
		if zh {
			b.WriteString(pick(r, zhWords))
			if i%6 == 5 {
				b.WriteString("，")
			}
		} else {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(pick(r, enWords))
		}
	}
	return b.String()
}

// loadCases writes n cases with one version each, their product and tag terms and
// their search documents (built as the store builds them), with COPY.
func loadCases(ctx context.Context, db *sql.DB, r *mrand.Rand, n int) (casesLoad, error) {
	var ld casesLoad
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, term := range []struct {
		kind string
		keys []string
	}{{cases.KindIndustry, casesIndustries}, {cases.KindProduct, casesProducts}, {cases.KindProblemCategory, []string{"growth", "cost", "quality", "risk"}}} {
		for _, k := range term.keys {
			if _, err := db.ExecContext(ctx, "INSERT INTO case_taxonomy_terms (id, kind, display_name, description, create_time) VALUES ($1, $2, $3, '', $4)",
				cases.TermName(term.kind, k), term.kind, k, now); err != nil {
				return ld, err
			}
		}
	}
	// The accounts and one acknowledging contact each: published search checks that
	// the acknowledging contact is still on record, so the contacts must exist.
	accounts, contacts := make([]uuid.UUID, 2000), map[uuid.UUID]uuid.UUID{}
	for i := range accounts {
		accounts[i] = uuid.Must(uuid.NewV7())
		contacts[accounts[i]] = uuid.Must(uuid.NewV7())
	}
	if _, err := copyTx(ctx, db, "accounts", []string{"id", "create_time", "update_time", "display_name", "name_norm", "activity_status", "funnel_stage"},
		func(emit func(...any) error) error {
			for i, id := range accounts {
				name := fmt.Sprintf("Bench customer %d", i)
				if err := emit(id.String(), now, now, name, strings.ToLower(name), "ACTIVE", "DELIVERY"); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
		return ld, err
	}
	if _, err := copyTx(ctx, db, "contacts", []string{"id", "create_time", "update_time", "display_name", "is_primary", "account_id"},
		func(emit func(...any) error) error {
			for i, id := range accounts {
				if err := emit(contacts[id].String(), now, now, fmt.Sprintf("Contact %d", i), true, id.String()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
		return ld, err
	}
	type row struct {
		id, version uuid.UUID
		published   bool
		content     cases.Content
		created     time.Time
	}
	rows := make([]row, n)
	for i := range rows {
		zh := i%2 == 0
		place := pick(r, enPlaces)
		if zh {
			place = pick(r, zhPlaces)
		}
		c := cases.Content{Title: place + " " + sentence(r, zh, 3+r.IntN(3)), Account: pick(r, accounts), Industry: pick(r, casesIndustries),
			ProblemCategory: "cost", Scenario: sentence(r, zh, 6), Problem: sentence(r, zh, 15+r.IntN(15)), Solution: sentence(r, zh, 20+r.IntN(20)),
			Products: []string{pick(r, casesProducts)}}
		if r.IntN(3) == 0 {
			c.Products = append(c.Products, pick(r, casesProducts))
		}
		c.Products = slices.Compact(c.Products)
		c.Tags = []string{map[bool]string{true: "标杆", false: "flagship"}[zh]}
		if r.IntN(4) == 0 {
			c.Tags = append(c.Tags, pick(r, casesIndustries))
		}
		for range 1 + r.IntN(2) {
			before, after := float64(10+r.IntN(90)), float64(r.IntN(50))
			c.Results = append(c.Results, cases.Result{Metric: sentence(r, zh, 2), Before: &before, After: &after, Unit: "%",
				Period: "2025-Q1 vs 2025-Q3", Method: sentence(r, zh, 4)})
		}
		rows[i] = row{id: uuid.Must(uuid.NewV7()), version: uuid.Must(uuid.NewV7()), published: r.IntN(10) != 0, content: c,
			created: now.Add(-time.Duration(n-i) * time.Minute)}
	}
	var err error
	ld.cases, err = copyTx(ctx, db, "cases", []string{"id", "create_time", "update_time", "revision", "state", "author", "working_version_id",
		"published_version_id", "publish_time", "version_count", "review_comment"}, func(emit func(...any) error) error {
		for _, rw := range rows {
			state, pub, pt := cases.Draft, any(nil), any(nil)
			if rw.published {
				state, pub, pt = cases.Published, rw.version.String(), rw.created
				ld.published++
			}
			if err := emit(rw.id.String(), rw.created, rw.created, 1, state, "apiKeys/bench-author", rw.version.String(), pub, pt, 1, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return ld, err
	}
	if _, err := copyTx(ctx, db, "case_versions", []string{"id", "case_id", "number", "create_time", "update_time", "editor", "title", "account_id",
		"industry", "problem_category", "scenario", "problem", "solution", "products", "tags", "results", "ack_contact_id", "ack_time", "ack_scope"},
		func(emit func(...any) error) error {
			for _, rw := range rows {
				c := rw.content
				products, tags, results := store.CaseColumns(c.Products, c.Tags, c.Results)
				if err := emit(rw.version.String(), rw.id.String(), 1, rw.created, rw.created, "apiKeys/bench-author", c.Title, c.Account.String(),
					c.Industry, c.ProblemCategory, c.Scenario, c.Problem, c.Solution, products, tags, results,
					contacts[c.Account].String(), rw.created, cases.ScopePublic); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
		return ld, err
	}
	if ld.terms, err = copyTx(ctx, db, "case_terms", []string{"version_id", "kind", "value"}, func(emit func(...any) error) error {
		for _, rw := range rows {
			for _, p := range rw.content.Products {
				if err := emit(rw.version.String(), "product", p); err != nil {
					return err
				}
			}
			for _, t := range rw.content.Tags {
				if err := emit(rw.version.String(), "tag", t); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return ld, err
	}
	if _, err := copyTx(ctx, db, "case_search", []string{"version_id", "doc"}, func(emit func(...any) error) error {
		for _, rw := range rows {
			if err := emit(rw.version.String(), cases.TSVector(cases.SearchFields(&rw.content))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return ld, err
	}
	_, err = db.ExecContext(ctx, "VACUUM ANALYZE")
	return ld, err
}
