package synth

// split is a rate for the district seat (urban) and for the rural towns.
type split struct{ Urban, Rural float64 }

// rates holds every rate the generator uses, in one place so that the demo
// district can be tuned. Household rates are drawn once per household and
// shared by siblings; child rates are drawn per child. With about half the
// children in the district seat, a split's overall rate is close to the
// mean of its two halves.
var rates = struct {
	// Key-group flags (R3).
	RegisteredPoor     split // household: 建档立卡贫困户, ~4% overall
	LowIncome          split // household: 低保, ~3%
	LeftBehind         split // household: 留守儿童, ~14%, highest in rural towns
	Migrant            split // household: 随迁子女, ~9%, concentrated in the district seat; never also left-behind
	Disabled           float64
	LearningDifficulty split   // child: 学困生, ~5%
	RemoteVillages     split   // share of administrative villages that are remote (every child living there is remote_area; so is every child at a teaching point), ~15% of children
	MaleBirths         float64 // share of boys

	// Households.
	Siblings    float64 // chance that the next child in a villager group is a sibling of the previous one
	MaxSiblings int     // children per household at most
	TwoGuardian float64 // chance that a household records two guardians

	// Schools.
	CrossTown float64 // chance that a rural child attends a school in the district seat

	// Statuses, per child. NeverEnrolled is a status at registration; the
	// others are status changes recorded after registration.
	NeverEnrolled  float64
	DroppedOut     float64
	Suspended      float64
	TransferredOut float64
	Graduated      float64
	Emigrated      float64
}{
	RegisteredPoor:     split{Urban: 0.02, Rural: 0.06},
	LowIncome:          split{Urban: 0.02, Rural: 0.04},
	LeftBehind:         split{Urban: 0.08, Rural: 0.20},
	Migrant:            split{Urban: 0.16, Rural: 0.02},
	Disabled:           0.005,
	LearningDifficulty: split{Urban: 0.045, Rural: 0.055},
	RemoteVillages:     split{Urban: 0.0, Rural: 0.35},
	MaleBirths:         0.53,

	Siblings:    0.3,
	MaxSiblings: 3,
	TwoGuardian: 0.65,

	CrossTown: 0.05,

	NeverEnrolled:  0.0006,
	DroppedOut:     0.0005,
	Suspended:      0.0002,
	TransferredOut: 0.0003,
	Graduated:      0.00006,
	Emigrated:      0.00005,
}

// townSpec describes one township: its residents (the weight for children),
// its villages and communities, and how many schools of each kind it has.
type townSpec struct {
	Name                              string
	Residents                         int
	Urban                             bool // the district seat
	Villages, Communities             int
	UrbanPrimaries, VillagePrimaries  int // besides the one central primary
	TeachingPoints, Juniors, NineYear int
	Special                           bool
	CommunityWeight                   float64 // children per community relative to a village
}

// towns are the eight towns of 柳江区 with residents from the 2020 census
// bulletin, in the order of their synthetic codes (…100 to …107).
// 92 villages, 26 communities, 99 schools.
var towns = []townSpec{
	{Name: "拉堡镇", Residents: 253652, Urban: true, Villages: 16, Communities: 17, UrbanPrimaries: 11, VillagePrimaries: 7, TeachingPoints: 2, Juniors: 4, NineYear: 2, Special: true, CommunityWeight: 3},
	{Name: "穿山镇", Residents: 68431, Villages: 14, Communities: 2, VillagePrimaries: 7, TeachingPoints: 3, Juniors: 2, NineYear: 1, CommunityWeight: 2},
	{Name: "进德镇", Residents: 46264, Villages: 12, Communities: 1, VillagePrimaries: 6, TeachingPoints: 3, Juniors: 1, NineYear: 1, CommunityWeight: 2},
	{Name: "百朋镇", Residents: 41392, Villages: 12, Communities: 1, VillagePrimaries: 6, TeachingPoints: 3, Juniors: 1, NineYear: 1, CommunityWeight: 2},
	{Name: "成团镇", Residents: 35683, Villages: 11, Communities: 2, VillagePrimaries: 6, TeachingPoints: 2, Juniors: 1, NineYear: 1, CommunityWeight: 2},
	{Name: "土博镇", Residents: 21638, Villages: 9, Communities: 1, VillagePrimaries: 4, TeachingPoints: 2, Juniors: 1, CommunityWeight: 2},
	{Name: "三都镇", Residents: 21288, Villages: 10, Communities: 1, VillagePrimaries: 4, TeachingPoints: 2, Juniors: 1, CommunityWeight: 2},
	{Name: "里高镇", Residents: 15424, Villages: 8, Communities: 1, VillagePrimaries: 3, TeachingPoints: 1, Juniors: 1, CommunityWeight: 2},
}

// Schools: how strongly each kind draws children who have no school in
// their own village, and the share of a village's primary-age children who
// attend the school named after their village.
const (
	weightCentral   = 3.0 // 中心小学 (boarding, takes the villages without a school)
	weightUrban     = 2.0 // urban primary
	weightJunior    = 2.0
	weightNineYear  = 0.8
	homeVillageP    = 0.6  // village primary
	homeTeachingPt  = 0.15 // teaching point: a few children of the nearest hamlets
	homeNineYear    = 0.6
	classSize       = 45
	classSizeJunior = 50
	classSizeSpec   = 12
	maxClasses      = 99
)

// gradeWeights: relative size of each grade 1..9 (birth cohorts 2019/20 back
// to 2011/12; the 2016–2017 cohorts were the largest).
var gradeWeights = [9]float64{0.90, 0.98, 1.06, 1.10, 1.08, 1.04, 1.00, 0.98, 0.96}

type choice struct {
	S string
	W float64
}

// ethnicities with their census shares and the surnames common in each.
var ethnicities = []struct {
	Name     string
	W        float64
	Surnames []choice
}{
	{"壮族", 70.71, []choice{{"韦", 16}, {"覃", 12}, {"蓝", 8}, {"黄", 8}, {"莫", 7}, {"梁", 5}, {"潘", 5}, {"廖", 4}, {"罗", 4}, {"陆", 3}, {"卢", 3}, {"谭", 3}, {"陈", 3}, {"李", 3}, {"农", 2}, {"吴", 2}, {"周", 2}, {"张", 2}, {"刘", 2}, {"蒙", 2}, {"银", 1}}},
	{"汉族", 26.80, []choice{{"李", 8}, {"陈", 8}, {"刘", 6}, {"张", 6}, {"黄", 6}, {"梁", 5}, {"王", 5}, {"杨", 4}, {"吴", 4}, {"周", 4}, {"罗", 4}, {"何", 3}, {"谢", 3}, {"钟", 3}, {"唐", 3}, {"廖", 3}, {"邓", 3}, {"韦", 3}, {"覃", 2}, {"曾", 2}}},
	{"瑶族", 1.00, []choice{{"盘", 4}, {"赵", 3}, {"邓", 3}, {"冯", 2}, {"李", 2}, {"黄", 2}}},
	{"苗族", 0.80, []choice{{"杨", 3}, {"吴", 3}, {"龙", 3}, {"石", 2}, {"王", 2}, {"潘", 2}}},
	{"侗族", 0.40, []choice{{"吴", 4}, {"杨", 4}, {"石", 2}, {"龙", 2}, {"潘", 2}}},
	{"仫佬族", 0.29, []choice{{"罗", 4}, {"银", 3}, {"吴", 3}, {"谢", 2}, {"潘", 2}}},
}

const han = "汉族"

// Given-name characters.
var (
	boyChars   = []string{"志", "伟", "俊", "杰", "浩", "宇", "轩", "明", "强", "军", "斌", "鹏", "涛", "磊", "洋", "辉", "文", "华", "海", "林", "峰", "建", "家", "博", "子", "睿", "泽", "晨", "航", "铭", "凯", "鑫", "宏", "诚", "毅", "豪", "锦", "荣", "嘉", "天"}
	girlChars  = []string{"秀", "丽", "娟", "婷", "芳", "燕", "玲", "雪", "梅", "琳", "欣", "怡", "雨", "佳", "静", "慧", "颖", "萱", "涵", "诗", "梦", "思", "晓", "彤", "琪", "瑶", "悦", "妍", "菲", "紫", "可", "馨", "蕾", "薇", "雅", "洁", "月", "春", "艺", "嘉"}
	manChars   = []string{"建", "国", "强", "明", "军", "华", "平", "勇", "福", "忠", "海", "林", "志", "德", "文", "光", "荣", "贵", "金", "春", "永", "成", "保", "新", "生", "有", "庆", "祥", "水", "安"}
	womanChars = []string{"秀", "英", "兰", "凤", "芳", "美", "玉", "桂", "梅", "丽", "春", "花", "萍", "红", "艳", "珍", "琼", "莲", "娟", "霞", "金", "月", "群", "燕", "翠", "香", "妹", "连", "爱", "菊"}
)

// Place-name characters common in Guangxi (Zhuang place names often start
// with 那, 六, 板, 古, 拉, 百, 都).
var (
	placeFirst  = []string{"龙", "山", "江", "塘", "岭", "新", "和", "平", "安", "福", "兴", "红", "石", "木", "竹", "水", "大", "小", "高", "白", "马", "古", "长", "板", "六", "那", "百", "上", "下", "东", "西", "南", "北", "黄", "里", "都", "凤", "洛", "三", "四"}
	placeSecond = []string{"塘", "岭", "屯", "坡", "洞", "里", "山", "江", "田", "口", "头", "桥", "湾", "寨", "冲", "圩", "堡", "龙", "和", "安", "兴", "平", "福", "河", "沙", "林", "垌", "良", "禄", "腊"}
	// communityNames: the first community of each town is named after the
	// town; the others take these names.
	communityNames = []string{"城中", "新兴", "和平", "江华", "柳堡", "龙城", "福塘", "红星", "建设", "文化", "河东", "河西", "南环", "北环", "东街", "西街", "新华", "民主", "团结", "胜利", "东兴", "龙泉", "江南", "滨江", "城南", "城北", "象山", "锦绣", "莲花", "阳光"}
)

// numerals are the Chinese numbers 1..20 for group and school names.
var numerals = []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九", "二十"}

// Mobile number prefixes.
var mobilePrefixes = []string{"130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "157", "158", "159", "177", "180", "181", "182", "183", "186", "187", "188", "189", "199"}

// workplaces of left-behind children's parents.
var workplaces = []choice{
	{"广东省深圳市", 20}, {"广东省东莞市", 18}, {"广东省广州市", 14}, {"广东省佛山市", 10}, {"广东省中山市", 6},
	{"广东省惠州市", 4}, {"广东省珠海市", 3}, {"浙江省宁波市", 4}, {"浙江省温州市", 2}, {"福建省厦门市", 3},
	{"福建省泉州市", 2}, {"广西南宁市", 5}, {"广西北海市", 2}, {"海南省海口市", 2}, {"江苏省苏州市", 2}, {"上海市", 2},
}

// Disabled children (R15).
var (
	disabilityCategories = []choice{{"肢体", 30}, {"智力", 30}, {"听力", 12}, {"视力", 10}, {"言语", 8}, {"精神", 5}, {"多重", 5}}
	placements           = []choice{{"regular_class", 50}, {"special_school", 25}, {"home_teaching", 15}, {"medical_education", 10}}
)

const (
	placementSpecial = "special_school"
	placementHome    = "home_teaching"
)

// Status changes (R6, R9).
var (
	// dropoutReasons: the reason categories of R9; 外出务工 and 早婚 only for
	// grades 8 and 9.
	dropoutReasons      = []choice{{"厌学", 40}, {"家庭经济困难", 12}, {"监护人不重视", 10}, {"因病", 8}, {"其他", 7}}
	dropoutReasonsOlder = []choice{{"外出务工", 20}, {"早婚", 3}}
	// dropoutGrade: relative chance of dropping out in grades 1..9 (the
	// focus grades 6, 7 and 9 of the plan).
	dropoutGrade   = [9]float64{0.1, 0.1, 0.2, 0.3, 0.5, 2, 3, 2.5, 3}
	suspendReasons = []choice{{"因病休学", 8}, {"因伤休学", 2}}
	// transfer destinations: where families go for work, nearby urban
	// districts, and (for migrant children) home.
	transferWork   = []string{"广东省东莞市", "广东省深圳市宝安区", "广东省广州市白云区", "广东省佛山市南海区", "广东省中山市", "浙江省宁波市"}
	transferNearby = []string{"柳州市城中区", "柳州市鱼峰区", "柳州市柳南区", "柳州市柳北区", "柳州市柳城县", "来宾市兴宾区"}
	transferHome   = []string{"广西来宾市兴宾区", "广西河池市宜州区", "广西柳州市融安县", "广西柳州市鹿寨县", "贵州省黔东南州榕江县", "湖南省永州市江华县"}
	emigrations    = []string{"越南", "马来西亚", "新加坡", "加拿大", "澳大利亚", "美国"}
)

// Reasons of the other changes.
const (
	reasonTransferWork   = "随父母务工迁居"
	reasonTransferNearby = "家庭搬迁"
	reasonTransferHome   = "回户籍地就读"
	reasonGraduated      = "初中毕业"
	reasonEmigrated      = "随父母出国定居"
)
