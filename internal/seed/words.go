package seed

// Word lists the generator draws from. They are slices (never maps) so that the
// dataset depends only on the seed.

// word is a Chinese word and the Latin slug it takes in domains and email addresses.
type word struct{ zh, slug string }

// zhCity is a Chinese city: its name, domain slug, region and administrative division
// code (the 3rd–8th characters of a unified social credit code).
type zhCity struct {
	name, slug, region, code string
}

var zhCities = []zhCity{
	{"杭州", "hangzhou", "east-china", "330100"},
	{"上海", "shanghai", "east-china", "310115"},
	{"南京", "nanjing", "east-china", "320100"},
	{"苏州", "suzhou", "east-china", "320500"},
	{"宁波", "ningbo", "east-china", "330200"},
	{"合肥", "hefei", "east-china", "340100"},
	{"北京", "beijing", "north-china", "110108"},
	{"天津", "tianjin", "north-china", "120116"},
	{"济南", "jinan", "north-china", "370100"},
	{"石家庄", "shijiazhuang", "north-china", "130100"},
	{"深圳", "shenzhen", "south-china", "440300"},
	{"广州", "guangzhou", "south-china", "440100"},
	{"厦门", "xiamen", "south-china", "350200"},
	{"成都", "chengdu", "west-china", "510100"},
	{"重庆", "chongqing", "west-china", "500000"},
	{"西安", "xian", "west-china", "610100"},
	{"昆明", "kunming", "west-china", "530100"},
}

// zhBrands are trade names (字号).
var zhBrands = []word{
	{"云帆", "yunfan"}, {"星辰", "xingchen"}, {"华信", "huaxin"}, {"博远", "boyuan"},
	{"智联", "zhilian"}, {"恒通", "hengtong"}, {"瑞丰", "ruifeng"}, {"海川", "haichuan"},
	{"明德", "mingde"}, {"鼎盛", "dingsheng"}, {"金桥", "jinqiao"}, {"天成", "tiancheng"},
	{"远航", "yuanhang"}, {"新锐", "xinrui"}, {"晨光", "chenguang"}, {"安康", "ankang"},
	{"正元", "zhengyuan"}, {"卓越", "zhuoyue"}, {"嘉禾", "jiahe"}, {"东方", "dongfang"},
	{"万象", "wanxiang"}, {"青禾", "qinghe"}, {"润泽", "runze"}, {"宏图", "hongtu"},
	{"聚力", "juli"}, {"同创", "tongchuang"}, {"启明", "qiming"}, {"长风", "changfeng"},
	{"凌云", "lingyun"}, {"拓维", "tuowei"}, {"科睿", "kerui"}, {"盛景", "shengjing"},
	{"银河", "yinhe"}, {"泰和", "taihe"}, {"永信", "yongxin"}, {"广德", "guangde"},
	{"乐享", "lexiang"}, {"蓝海", "lanhai"}, {"百川", "baichuan"}, {"创元", "chuangyuan"},
}

// enBrands are English trade names.
var enBrands = []string{
	"Northwind", "Bluepeak", "Silverline", "Redwood", "Brightwater", "Ironbridge", "Crestview",
	"Evergreen", "Summit", "Harbor", "Granite", "Oakridge", "Clearpath", "Lakeside", "Skyward",
	"Westbrook", "Pinecrest", "Riverstone", "Starling", "Meridian", "Beacon", "Copperfield",
	"Highgate", "Kestrel", "Larkspur", "Maple", "Nimbus", "Orion", "Pioneer", "Quarry",
	"Sterling", "Tidewater", "Vantage", "Willow", "Atlas", "Aurora", "Cobalt", "Falcon",
	"Juniper", "Horizon",
}

// industry is one industry with its weight in the dataset and the words its company
// names use. Government has no words: its organisations are named after departments.
type industry struct {
	key    string
	weight int
	zh     []word
	en     []string
}

var industries = []industry{
	{"manufacturing", 16, []word{{"精密制造", "precision"}, {"机械", "machinery"}, {"智能装备", "equipment"}, {"电子", "electronics"}},
		[]string{"Manufacturing", "Industries", "Precision", "Components"}},
	{"retail", 12, []word{{"商贸", "trading"}, {"零售", "retail"}, {"电子商务", "ecommerce"}},
		[]string{"Retail", "Stores", "Outfitters", "Market"}},
	{"healthcare", 10, []word{{"医疗器械", "medical"}, {"生物医药", "bio"}, {"健康科技", "health"}},
		[]string{"Health", "Medical", "Clinics", "Biotech"}},
	{"education", 8, []word{{"教育科技", "edu"}, {"教育咨询", "education"}, {"职业培训", "training"}},
		[]string{"Learning", "Academy", "Education"}},
	{"finance", 10, []word{{"融资租赁", "leasing"}, {"保险经纪", "insurance"}, {"金融信息服务", "fintech"}},
		[]string{"Capital", "Financial", "Insurance"}},
	{"logistics", 10, []word{{"物流", "logistics"}, {"供应链管理", "supplychain"}, {"国际货运代理", "freight"}},
		[]string{"Logistics", "Freight", "Shipping", "Transport"}},
	{"software", 16, []word{{"科技", "tech"}, {"软件", "soft"}, {"信息技术", "it"}, {"网络科技", "net"}},
		[]string{"Software", "Systems", "Labs", "Technologies", "Digital"}},
	{"energy", 7, []word{{"新能源", "newenergy"}, {"能源", "energy"}, {"光伏科技", "solar"}},
		[]string{"Energy", "Power", "Solar", "Renewables"}},
	{"hospitality", 6, []word{{"酒店管理", "hotels"}, {"餐饮管理", "catering"}, {"文旅发展", "travel"}},
		[]string{"Hotels", "Hospitality", "Resorts"}},
	{"government", 5, nil, nil},
}

// Government departments, with the host label of their web site.
var (
	zhGovDepts = []word{{"大数据管理局", "data"}, {"交通运输局", "jtj"}, {"卫生健康委员会", "wjw"}, {"教育局", "jyj"}, {"政务服务管理办公室", "zwfw"}}
	enGovDepts = []struct{ name, slug string }{
		{"Transit Authority", "transit"}, {"Department of Health", "health"}, {"City Council", "council"},
		{"Public Works Department", "publicworks"}, {"Digital Services Office", "digital"},
	}
)

// country is where an English-named organisation is registered.
type country struct {
	code   string // ISO 3166 alpha-2: picks tax id and phone formats
	weight int
	region string
	forms  []string // legal forms
	tld    string
	govTLD string
	places []string
}

var countries = []country{
	{"us", 3, "north-america", []string{"Inc.", "LLC", "Corp."}, ".com", ".gov", []string{"Austin", "Denver", "Portland", "Raleigh"}},
	{"ca", 1, "north-america", []string{"Ltd.", "Inc."}, ".ca", ".ca", []string{"Calgary", "Ottawa"}},
	{"gb", 2, "europe", []string{"Ltd", "PLC"}, ".co.uk", ".gov.uk", []string{"Leeds", "Bristol"}},
	{"de", 2, "europe", []string{"GmbH", "AG"}, ".de", ".de", []string{"Munich", "Hamburg"}},
	{"nl", 1, "europe", []string{"B.V."}, ".nl", ".nl", []string{"Rotterdam", "Utrecht"}},
	{"fr", 1, "europe", []string{"S.A.S."}, ".fr", ".gouv.fr", []string{"Lyon", "Toulouse"}},
	{"sg", 2, "apac", []string{"Pte. Ltd."}, ".com.sg", ".gov.sg", []string{"Singapore"}},
	{"au", 1, "apac", []string{"Pty Ltd"}, ".com.au", ".gov.au", []string{"Brisbane", "Perth"}},
	{"jp", 1, "apac", []string{"K.K."}, ".co.jp", ".go.jp", []string{"Osaka", "Fukuoka"}},
	{"mx", 1, "latam", []string{"S.A. de C.V."}, ".com.mx", ".gob.mx", []string{"Monterrey", "Guadalajara"}},
	{"br", 1, "latam", []string{"Ltda."}, ".com.br", ".gov.br", []string{"Curitiba", "Campinas"}},
	{"cl", 1, "latam", []string{"S.A."}, ".cl", ".gob.cl", []string{"Valparaíso", "Santiago"}},
}

var zhTLDs = []string{".com.cn", ".cn", ".com"}

// People.
var (
	zhSurnames = []word{
		{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"},
		{"黄", "huang"}, {"赵", "zhao"}, {"吴", "wu"}, {"周", "zhou"}, {"徐", "xu"}, {"孙", "sun"},
		{"马", "ma"}, {"朱", "zhu"}, {"胡", "hu"}, {"郭", "guo"}, {"何", "he"}, {"林", "lin"},
		{"高", "gao"}, {"罗", "luo"},
	}
	zhGivenNames = []word{
		{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"磊", "lei"},
		{"强", "qiang"}, {"洋", "yang"}, {"艳", "yan"}, {"勇", "yong"}, {"军", "jun"}, {"杰", "jie"},
		{"娟", "juan"}, {"涛", "tao"}, {"明", "ming"}, {"超", "chao"}, {"霞", "xia"}, {"平", "ping"},
		{"丽华", "lihua"}, {"建国", "jianguo"}, {"晓东", "xiaodong"}, {"志强", "zhiqiang"},
		{"雪梅", "xuemei"}, {"海燕", "haiyan"}, {"子涵", "zihan"}, {"浩然", "haoran"},
		{"雨萱", "yuxuan"}, {"思远", "siyuan"}, {"嘉怡", "jiayi"}, {"文博", "wenbo"},
	}
	enFirstNames = []string{
		"Emma", "Liam", "Olivia", "Noah", "Ava", "James", "Sophia", "Lucas", "Mia", "Ethan",
		"Isabella", "Mateo", "Charlotte", "Oliver", "Amelia", "Daniel", "Hannah", "Samuel", "Chloe",
		"Benjamin", "Priya", "Arjun", "Yuki", "Kenji", "Camila", "Diego", "Lena", "Felix", "Sofia", "Hugo",
	}
	enLastNames = []string{
		"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Martinez",
		"Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Clark", "Lewis", "Walker", "Young",
		"Müller", "Schmidt", "de Vries", "Dubois", "Tanaka", "Sato", "Fernández", "Silva", "Rossi",
		"Nguyen", "Kim", "Patel",
	}
)

// Titles by seniority (account.SeniorityLevels order: EXECUTIVE, MANAGER, OPERATOR).
var (
	zhTitles = [][]string{
		{"总经理", "副总裁", "首席信息官", "董事长", "首席财务官"},
		{"IT 经理", "采购经理", "运营总监", "信息中心主任", "客服经理", "财务经理"},
		{"系统管理员", "采购专员", "运营专员", "数据分析师", "客服主管"},
	}
	enTitles = [][]string{
		{"CEO", "CFO", "CIO", "COO", "VP Operations"},
		{"IT Manager", "Procurement Manager", "Head of Customer Service", "Operations Director", "Finance Manager"},
		{"Systems Administrator", "Procurement Specialist", "Data Analyst", "Operations Coordinator", "Support Team Lead"},
	}
)

// Owners: the customer-success team, China desk and international desk.
var (
	zhOwners = []string{"li.wei", "zhang.min", "wang.fang", "chen.jie", "liu.yang", "zhao.lei"}
	enOwners = []string{"emma.clark", "james.wilson", "sofia.garcia", "lucas.martin", "olivia.brown", "noah.kim"}
)

const ownerDomain = "@furrow.example"

var (
	zhClaimReasons    = []string{"客户备案：官网咨询", "客户备案：展会获客", "客户备案：老客户转介绍", "客户备案：电话陌拜"}
	enClaimReasons    = []string{"inbound demo request", "trade show lead", "referral from an existing customer", "outbound prospecting", "partner referral"}
	zhTransferReasons = []string{"客户区域调整", "原负责人离职", "转交大客户团队", "territory rebalancing"}
	enTransferReasons = []string{"territory rebalancing", "owner left the company", "moved to the key-account team"}
	zhPrimaryReasons  = []string{"原主要联系人离职", "项目负责人变更", "客户组织架构调整"}
	enPrimaryReasons  = []string{"previous contact left the company", "new project sponsor", "champion promoted to VP"}
)

// Labels, free text as users type them.
var labelSet = []string{"vip", "renewal-q1", "pilot", "reference", "重点", "expansion-target", "partner-sourced"}

// Products sold, and add-ons sold as upsells.
var (
	zhProducts = []string{"数据中台 标准版", "数据中台 企业版", "客服工单系统", "协同办公平台", "企业网盘 100 人版", "营销自动化套件", "实施服务", "年度运维服务"}
	zhAddOns   = []string{"增购 50 个席位", "高级报表模块", "API 调用扩容包", "专属客户成功经理"}
	enProducts = []string{"Analytics Suite — Team", "Analytics Suite — Enterprise", "Support Desk Pro", "Workflow Automation", "Cloud Storage 10 TB", "Implementation Services", "Premium Support (annual)"}
	enAddOns   = []string{"Additional 50 seats", "Data Connector Pack", "Advanced Reporting add-on", "Training Workshop"}
)

// Interaction summaries by kind (account.InteractionKinds order: CALL, MEETING, VISIT,
// EMAIL, EVENT, SUPPORT); {c} is a contact, {p} a product, {city} the account's city.
var (
	zhSummaries = [][]string{
		{"与{c}电话沟通{p}使用情况，对方反馈整体稳定", "电话跟进续约意向，客户希望下月初收到报价", "电话确认培训时间安排，{c}将组织 10 人参加"},
		{"线上会议演示{p}新功能，{c}对报表模块很感兴趣", "季度业务回顾（QBR），确认下季度目标与成功指标", "与采购部门沟通合同条款，{c}参会"},
		{"上门拜访{c}，参观现场并了解数字化需求", "到{city}现场走访，收集一线用户对{p}的使用反馈"},
		{"发送{p}报价单及方案说明", "邮件回复{c}关于数据导出的问题", "发送季度服务报告，附使用数据分析"},
		{"{c}参加我司在{city}举办的行业沙龙", "邀请客户参加年度用户大会，{c}确认出席"},
		{"处理工单：{p}登录异常，2 小时内已解决", "协助客户完成{p}版本升级", "客户反馈报表加载缓慢，已提交研发排查"},
	}
	enSummaries = [][]string{
		{"Call with {c} about {p} adoption; overall stable", "Renewal check-in call; customer expects a quote early next month", "Call to schedule admin training with {c}"},
		{"Demoed new {p} features; {c} keen on the reporting module", "Quarterly business review: agreed next quarter's goals and success metrics", "Contract terms review with procurement, {c} attending"},
		{"On-site visit with {c} to map their digitisation roadmap", "Site visit in {city} to collect end-user feedback on {p}"},
		{"Sent {p} quote and solution overview", "Answered {c}'s question about data exports", "Sent the quarterly service report with usage analysis"},
		{"{c} attended our customer roundtable in {city}", "Invited to the annual user conference; {c} confirmed"},
		{"Ticket: {p} login failures, resolved within 2 hours", "Helped the customer upgrade {p}", "Customer reported slow reports; escalated to engineering"},
	}
)
