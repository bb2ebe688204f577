package ui

import (
	"fmt"
	"strings"
	"time"

	"baoxue/store"
)

// Languages. Simplified Chinese is the default.
const (
	langZH = "zh"
	langEN = "en"
)

// message is one entry of the catalogue: the same text in each language.
type message struct{ zh, en string }

// messages is THE message catalogue: every string the UI shows comes from
// here, looked up by key (t in templates, translate in Go). Names of
// statuses, flags, school types, roles, lines, village kinds, placements,
// command kinds and rejection codes are keyed by their code word
// ("status.enrolled"), so templates write {{tk "status" .Status}}.
// The wording follows docs/domain.md. It is read only.
var messages = map[string]message{
	// application and layout
	"app.name":         {"控辍保学", "Keep Them in School"},
	"app.tagline":      {"适龄儿童少年一个不少", "Not one school-age child missing"},
	"nav.students":     {"学生名册", "Students"},
	"nav.new_student":  {"登记学生", "Register a child"},
	"nav.org":          {"组织机构", "Organisation"},
	"nav.users":        {"用户管理", "Users"},
	"nav.logout":       {"退出登录", "Log out"},
	"nav.skip":         {"跳到正文", "Skip to content"},
	"lang.switch":      {"English", "中文"},
	"node.label":       {"本节点", "Node"},
	"node.state":       {"状态", "state"},
	"node.applied":     {"已应用至", "applied index"},
	"node.leader":      {"主节点", "leader"},
	"node.contact":     {"最近联系", "last contact"},
	"node.none":        {"无", "none"},
	"raft.Leader":      {"主节点", "Leader"},
	"raft.Follower":    {"从节点", "Follower"},
	"raft.Candidate":   {"选举中", "Candidate"},
	"raft.Shutdown":    {"已停止", "Shutdown"},
	"user.scope":       {"范围", "scope"},
	"common.save":      {"保存", "Save"},
	"common.cancel":    {"取消", "Cancel"},
	"common.search":    {"查询", "Search"},
	"common.reset":     {"清除条件", "Clear"},
	"common.all":       {"全部", "All"},
	"common.none":      {"（无）", "(none)"},
	"common.next_page": {"下一页", "Next page"},
	"common.first":     {"回到第一页", "First page"},
	"common.yes":       {"是", "yes"},
	"common.required":  {"必填", "required"},
	"common.optional":  {"选填", "optional"},
	"common.print":     {"打印", "Print"},
	"common.back":      {"返回", "Back"},
	"common.empty":     {"暂无记录。", "Nothing here yet."},

	// titles
	"title.login":          {"登录", "Log in"},
	"title.students":       {"学生名册", "Students"},
	"title.student_new":    {"登记学生", "Register a child"},
	"title.student_edit":   {"修改学生信息", "Edit a child's record"},
	"title.student_status": {"学籍状态变动", "Change status"},
	"title.org":            {"组织机构", "Organisation"},
	"title.users":          {"用户管理", "Users"},
	"title.error":          {"出错了", "Error"},

	// login
	"login.username":     {"用户名", "Username"},
	"login.password":     {"密码", "Password"},
	"login.submit":       {"登录", "Log in"},
	"login.failed":       {"用户名或密码不正确。", "Wrong username or password."},
	"login.intro":        {"请使用管理员分配的账号登录。", "Log in with the account your administrator gave you."},
	"flash.logged_out":   {"您已退出登录。", "You have logged out."},
	"flash.created":      {"学生已登记。", "The child is registered."},
	"flash.updated":      {"学生信息已保存。", "The record is saved."},
	"flash.status":       {"学籍状态已变更。", "The status is changed."},
	"flash.pending":      {"已提交，等待主节点确认；连通后会自动生效。", "Submitted; waiting for the leader to confirm. It takes effect once the link is back."},
	"flash.org_created":  {"已新增。", "Added."},
	"flash.user_created": {"用户已创建。", "The user is created."},

	// student list
	"students.total":         {"共 %d 人", "%d in total"},
	"students.filters":       {"筛选条件", "Filters"},
	"students.q":             {"姓名 / 身份证号 / 学籍号", "Name / ID number / student number"},
	"students.none":          {"没有符合条件的学生。", "No child matches these filters."},
	"students.grade_class":   {"年级班级", "Grade / class"},
	"students.grade_n":       {"%d年级", "Grade %d"},
	"students.grade_class_n": {"%d年级%d班", "grade %d, class %d"},
	"students.print_note":    {"打印时仅打印名册。", "Printing prints the list only."},

	// student fields
	"field.name":                 {"姓名", "Name"},
	"field.gender":               {"性别", "Gender"},
	"field.id_number":            {"身份证号", "ID number"},
	"field.birth_date":           {"出生日期", "Date of birth"},
	"field.ethnicity":            {"民族", "Ethnicity"},
	"field.student_no":           {"学籍号", "Student number"},
	"field.township_code":        {"乡镇", "Township"},
	"field.village_code":         {"村（社区）", "Village / community"},
	"field.group_code":           {"村民小组", "Villager group"},
	"field.household":            {"户", "Household"},
	"field.school_code":          {"学校", "School"},
	"field.grade":                {"年级", "Grade"},
	"field.class":                {"班级", "Class"},
	"field.status":               {"学籍状态", "Status"},
	"field.flags":                {"重点群体", "Key groups"},
	"field.flag":                 {"重点群体", "Key group"},
	"field.details":              {"重点群体信息", "Key-group details"},
	"field.poverty_household_id": {"扶贫部门户编号", "Poverty household id"},
	"field.parents_workplace":    {"父母务工地", "Parents' workplace"},
	"field.parents_phone":        {"父母电话", "Parents' phone"},
	"field.disability_category":  {"残疾类别", "Disability category"},
	"field.placement":            {"安置方式", "Placement"},
	"field.guardians":            {"监护人", "Guardians"},
	"field.guardian_name":        {"监护人姓名", "Guardian's name"},
	"field.relation":             {"关系", "Relation"},
	"field.phone":                {"电话", "Phone"},
	"field.version":              {"版本", "Version"},
	"field.date":                 {"变动日期", "Date"},
	"field.reason":               {"原因", "Reason"},
	"field.destination":          {"去向（转入学校及地点）", "Destination (school and place)"},
	"field.expected_return":      {"预计复学日期", "Expected return"},
	"field.code":                 {"代码", "Code"},
	"field.org_name":             {"名称", "Name"},
	"field.kind":                 {"类型", "Kind"},
	"field.type":                 {"类型", "Type"},
	"field.username":             {"用户名", "Username"},
	"field.password":             {"密码", "Password"},
	"field.display_name":         {"姓名", "Display name"},
	"field.role":                 {"角色", "Role"},
	"field.line":                 {"条线", "Line"},
	"field.scope":                {"管理范围", "Scope"},
	"field.q":                    {"关键词", "Search"},
	"field.limit":                {"每页条数", "Page size"},
	"field.cursor":               {"翻页位置", "Page position"},
	"field.command_id":           {"命令编号", "Command id"},
	"field.created":              {"登记", "Registered"},
	"field.updated":              {"最近修改", "Last changed"},

	// student detail
	"student.profile":        {"基本信息", "Profile"},
	"student.residence":      {"户籍与居住", "Residence"},
	"student.schooling":      {"就读情况", "Schooling"},
	"student.history":        {"学籍变动记录", "Status history"},
	"student.audit":          {"修改记录", "Audit trail"},
	"student.edit":           {"修改信息", "Edit"},
	"student.change_status":  {"变更学籍状态", "Change status"},
	"student.no_guardians":   {"未登记监护人。", "No guardian recorded."},
	"student.no_flags":       {"无", "none"},
	"student.masked_note":    {"身份证号已部分隐藏。", "The ID number is partly hidden."},
	"student.by":             {"经办人", "By"},
	"student.node":           {"节点", "Node"},
	"student.when":           {"时间", "When"},
	"student.what":           {"内容", "What changed"},
	"student.from_to":        {"由“%s”改为“%s”", "from “%s” to “%s”"},
	"student.set_to":         {"设为“%s”", "set to “%s”"},
	"student.from":           {"原状态", "From"},
	"student.to":             {"新状态", "To"},
	"student.version_note":   {"修改基于第 %d 版。", "Editing version %d."},
	"student.guardian_rows":  {"最多填写 3 位监护人；不填的行留空。", "Up to 3 guardians; leave unused rows empty."},
	"student.flag_details":   {"勾选重点群体后请填写相应信息。", "Fill in the details for the key groups you tick."},
	"student.status_hint":    {"转出须填写去向；休学须填写原因。", "A transfer out needs the destination; a suspension needs a reason."},
	"student.create_status":  {"新登记的学生只能是在校、失学（未入学）或送教上门；其他状态请通过学籍状态变动办理。", "A new child is enrolled, never enrolled or home-taught; other statuses come from a status change."},
	"student.reload":         {"重新载入最新信息", "Reload the latest record"},
	"student.existing":       {"查看已登记的记录", "Open the existing record"},
	"student.current_status": {"当前状态", "Current status"},
	"student.choose":         {"请选择", "Choose"},
	"student.group_any":      {"（不填）", "(none)"},
	"student.school_none":    {"（未入学）", "(not in school)"},
	"student.grade_none":     {"—", "—"},

	// gender
	"gender.M": {"男", "male"},
	"gender.F": {"女", "female"},

	// statuses (R6)
	"status.enrolled":        {"在校", "Enrolled"},
	"status.suspended":       {"休学", "Suspended"},
	"status.transferred_out": {"转出", "Transferred out"},
	"status.dropped_out":     {"辍学", "Dropped out"},
	"status.never_enrolled":  {"失学（未入学）", "Never enrolled"},
	"status.home_taught":     {"送教上门（在家教育）", "Home-delivered teaching"},
	"status.graduated":       {"毕业", "Graduated"},
	"status.deceased":        {"死亡", "Deceased"},
	"status.emigrated":       {"移居境外", "Emigrated"},

	// flags (R3)
	"flag.registered_poor":     {"建档立卡贫困户", "Registered-poor household"},
	"flag.low_income":          {"低保家庭", "Low-income (dibao) family"},
	"flag.left_behind":         {"留守儿童", "Left-behind child"},
	"flag.migrant":             {"随迁子女", "Migrant workers' child"},
	"flag.disabled":            {"残疾儿童", "Disabled child"},
	"flag.ethnic_minority":     {"少数民族", "Ethnic minority"},
	"flag.remote_area":         {"边远农村", "Remote rural area"},
	"flag.learning_difficulty": {"学困生", "Learning difficulties"},

	// placements of disabled children (R15)
	"placement.special_school":    {"特殊教育学校就读", "Special school"},
	"placement.regular_class":     {"随班就读", "Regular class"},
	"placement.home_teaching":     {"送教上门", "Home-delivered teaching"},
	"placement.medical_education": {"医教结合", "Combined medical-education"},

	// school types
	"school.primary":        {"小学", "Primary school"},
	"school.junior":         {"初级中学", "Junior high school"},
	"school.nine_year":      {"九年一贯制学校", "Nine-year school"},
	"school.teaching_point": {"教学点", "Teaching point"},
	"school.special":        {"特殊教育学校", "Special school"},

	// village kinds
	"vkind.village":   {"行政村", "Village"},
	"vkind.community": {"社区", "Community"},

	// roles and lines
	"role.admin":      {"系统管理员", "Administrator"},
	"role.officer":    {"工作人员", "Officer"},
	"role.teacher":    {"教师", "Teacher"},
	"role.viewer":     {"只读用户", "Viewer"},
	"line.education":  {"教育线", "Education line"},
	"line.government": {"政府线", "Government line"},

	// scopes
	"scope.district": {"全区", "Whole district"},
	"scope.township": {"乡镇：%s", "Township %s"},
	"scope.school":   {"学校：%s", "School %s"},
	"scope.class":    {"班级：%s %d年级%d班", "Class: %s grade %d class %d"},
	"scope.help":     {"写法：district（全区）、township:乡镇代码、school:学校代码、class:学校代码/年级/班级", "Written district, township:CODE, school:CODE or class:SCHOOL/GRADE/CLASS"},

	// command kinds (audit trail)
	"kind.district.init":   {"初始化区县", "District set up"},
	"kind.township.create": {"新增乡镇", "Township added"},
	"kind.village.create":  {"新增村（社区）", "Village added"},
	"kind.group.create":    {"新增村民小组", "Villager group added"},
	"kind.school.create":   {"新增学校", "School added"},
	"kind.user.create":     {"新增用户", "User added"},
	"kind.student.create":  {"登记学生", "Child registered"},
	"kind.student.update":  {"修改学生信息", "Record changed"},
	"kind.student.status":  {"学籍状态变动", "Status changed"},

	// rejections by the register (Result.Code) and field errors
	"reject.invalid":                 {"填写的内容不符合要求。", "The input is not valid."},
	"reject.not_found":               {"所引用的记录不存在。", "A record it refers to does not exist."},
	"reject.duplicate":               {"该记录已经登记过。", "This record exists already."},
	"reject.conflict":                {"该记录已被他人修改。请重新载入最新信息后再修改。", "Someone else changed this record meanwhile. Reload it and enter your change again."},
	"reject.forbidden":               {"您没有权限执行此操作。", "You may not do this."},
	"reject.state":                   {"当前状态下不能进行此操作。", "Not allowed in the record's current state."},
	"reject.gap":                     {"命令顺序有缺口，稍后会自动重发。", "A gap in the command sequence; it will be resent."},
	"reject.duplicate.id_number":     {"该身份证号已登记。", "This ID number is registered already."},
	"reject.duplicate.code":          {"该代码已存在。", "This code exists already."},
	"reject.duplicate.username":      {"该用户名已存在。", "This username exists already."},
	"fielderr.destination.required":  {"转出必须填写去向（转入学校及地点），掌握生源去向。", "A transfer out needs the destination school and place."},
	"fielderr.reason.required":       {"休学必须填写原因。", "A suspension needs a reason."},
	"reject.invalid.destination":     {"转出必须填写去向（转入学校及地点），掌握生源去向。", "A transfer out needs the destination school and place."},
	"reject.invalid.reason":          {"休学必须填写原因。", "A suspension needs a reason."},
	"reject.invalid.date":            {"日期不正确（不能晚于今天，不能早于出生日期）。", "The date is not valid (not in the future, not before birth)."},
	"reject.invalid.expected_return": {"预计复学日期格式应为 年-月-日。", "Write the expected return as YYYY-MM-DD."},
	"reject.state.status":            {"当前学籍状态下不能变更为此状态。", "The child cannot change to this status now."},
	"reject.not_found.township_code": {"该乡镇不存在。", "No such township."},
	"reject.not_found.village_code":  {"该村（社区）不存在。", "No such village."},
	"reject.not_found.scope":         {"管理范围中的乡镇或学校不存在。", "The township or school of the scope does not exist."},
	"fielderr.generic":               {"此项填写有误", "This field is not valid"},
	"fielderr.required":              {"此项必填。", "Required."},
	"fielderr.length":                {"内容太长。", "Too long."},
	"fielderr.code.format":           {"编码只能由字母、数字、- 或 _ 组成，最多 32 位。", "A code is 1 to 32 letters, digits, - or _."},
	"fielderr.username.format":       {"用户名只能由字母、数字、- 或 _ 组成，最多 32 位。", "A username is 1 to 32 letters, digits, - or _."},
	"fielderr.format":                {"格式不正确。", "Not in the right format."},
	"fielderr.range":                 {"超出允许范围。", "Out of range."},
	"fielderr.unknown":               {"不存在，请从列表中选择。", "Unknown: choose from the list."},
	"fielderr.mismatch":              {"与其他填写内容不一致。", "Does not match the other fields."},
	"fielderr.check_digit":           {"身份证号校验位不正确，请核对。", "The ID number's check digit is wrong."},
	"fielderr.birth_date":            {"身份证号中的出生日期无效。", "The ID number holds no valid birth date."},
	"fielderr.gender.mismatch":       {"性别与身份证号不符。", "The gender does not match the ID number."},
	"fielderr.id_number.length":      {"身份证号应为 18 位。", "An ID number has 18 characters."},
	"fielderr.id_number.format":      {"身份证号前 17 位应为数字。", "The first 17 characters of an ID number are digits."},
	"fielderr.grade.range":           {"年级与学校类型不符（小学 1–6，初中 7–9）。", "The grade does not fit the school (primary 1–6, junior 7–9)."},
	"fielderr.group_code.mismatch":   {"该村民小组不属于所选村（社区）。", "This villager group is not in the chosen village."},
	"fielderr.school_code.required":  {"在校学生必须选择学校、年级和班级。", "An enrolled child needs a school, grade and class."},
	"fielderr.status.format":         {"新登记的学生只能是在校、失学（未入学）或送教上门。", "A new child is enrolled, never enrolled or home-taught."},
	"fielderr.password.length":       {"密码至少 8 个字符。", "A password has at least 8 characters."},
	"fielderr.scope.admin":           {"系统管理员的范围必须是全区。", "An administrator must have district scope."},
	"fielderr.number":                {"请填写数字。", "Enter a number."},
	"fielderr.patch_status":          {"学籍状态不能在这里修改，请使用“变更学籍状态”。", "The status is changed with “Change status”, not here."},

	// errors
	"error.400":        {"请求有误。", "The request is not valid."},
	"error.401":        {"请先登录。", "Please log in."},
	"error.403":        {"您没有权限访问此页面。", "You may not open this page."},
	"error.csrf":       {"表单已过期或来源不明，请返回刷新页面后重试。", "The form has expired. Go back, reload the page and try again."},
	"error.404":        {"找不到该页面或记录（也可能不在您的管理范围内）。", "No such page or record (or it is outside your scope)."},
	"error.405":        {"不支持此操作。", "This action is not supported."},
	"error.409":        {"操作被拒绝。", "The change was refused."},
	"error.413":        {"提交的内容太大。", "What you sent is too large."},
	"error.500":        {"抱歉，系统出了问题。请稍后重试；如果问题依旧，请把请求编号告诉管理员。", "Sorry, something went wrong. Please try again; if it keeps happening, give your administrator the request id."},
	"error.503":        {"登记册暂时无法写入（与主节点失去联系）。请稍后重试。", "The register cannot take changes right now (no connection to the leader). Please try again later."},
	"error.other":      {"请求未能完成。", "The request could not be completed."},
	"error.request_id": {"请求编号", "Request id"},
	"error.home":       {"返回学生名册", "Back to the students"},

	// organisation
	"org.townships":    {"乡镇", "Townships"},
	"org.villages":     {"村（社区）", "Villages and communities"},
	"org.groups":       {"村民小组", "Villager groups"},
	"org.schools":      {"学校", "Schools"},
	"org.add_township": {"新增乡镇", "Add a township"},
	"org.add_village":  {"新增村（社区）", "Add a village or community"},
	"org.add_group":    {"新增村民小组", "Add a villager group"},
	"org.add_school":   {"新增学校", "Add a school"},
	"org.add":          {"新增", "Add"},

	// users
	"users.list":          {"用户列表", "Users"},
	"users.add":           {"新增用户", "Add a user"},
	"users.create":        {"创建用户", "Create user"},
	"users.password_hint": {"至少 8 个字符。", "At least 8 characters."},
}

// translate looks key up in lang and formats it with args. A missing key is
// shown as the key itself, so that it is noticed (a test checks that every
// key the templates use exists).
func translate(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		if len(args) > 0 {
			return key + fmt.Sprint(args...)
		}
		return key
	}
	s := m.zh
	if lang == langEN {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// translateCode translates a code word under prefix ("status", "enrolled"),
// or shows the code itself when the catalogue has no name for it.
func translateCode(lang, prefix, code string) string {
	if code == "" {
		return ""
	}
	if _, ok := messages[prefix+"."+code]; !ok {
		return code
	}
	return translate(lang, prefix+"."+code)
}

func hasMessage(key string) bool {
	_, ok := messages[key]
	return ok
}

// fieldMessage is what a form shows beside a field the register's checks
// refused. English shows the store's own sentence; Chinese uses the most
// specific catalogue entry and keeps the store's sentence in brackets when
// there is none.
func fieldMessage(lang string, fe *store.FieldError) string {
	if lang == langEN && fe.Message != "" {
		return fe.Message
	}
	for _, k := range []string{"fielderr." + fe.Field + "." + fe.Code, "fielderr." + fe.Code} {
		if hasMessage(k) {
			return translate(lang, k)
		}
	}
	return translate(lang, "fielderr.generic") + "（" + fe.Message + "）"
}

// rejectionMessage is what a form shows for a command the register
// rejected.
func rejectionMessage(lang string, r store.Result) string {
	if k := "reject." + r.Code + "." + r.Field; r.Field != "" && hasMessage(k) {
		return translate(lang, k)
	}
	if lang == langEN && r.Reason != "" {
		return r.Reason
	}
	msg := translateCode(lang, "reject", r.Code)
	if r.Code == store.CodeInvalid && r.Reason != "" {
		msg += "（" + r.Reason + "）"
	}
	return msg
}

// chinaTime is the zone dates and times are shown in: the register's zone,
// whatever the machine's tz setting.
var chinaTime = time.FixedZone("CST", 8*3600)

// formatDate shows a YYYY-MM-DD date: 2026年11月28日 in Chinese,
// 2026-11-28 in English. Anything else is shown as it is.
func formatDate(lang, d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil || lang == langEN {
		return d
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// formatTime shows a moment in China time, to the minute.
func formatTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(chinaTime)
	if lang == langEN {
		return t.Format("2006-01-02 15:04")
	}
	return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), int(t.Month()), t.Day(), t.Format("15:04"))
}

// scopeText shows a scope with the names of its township or school.
func scopeText(lang string, sc store.Scope, names map[string]string) string {
	name := func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		return code
	}
	switch sc.Kind {
	case store.ScopeDistrict:
		return translate(lang, "scope.district")
	case store.ScopeTownship:
		return translate(lang, "scope.township", name(sc.Code))
	case store.ScopeSchool:
		return translate(lang, "scope.school", name(sc.Code))
	case store.ScopeClass:
		return translate(lang, "scope.class", name(sc.Code), sc.Grade, sc.Class)
	}
	return strings.TrimSpace(sc.String())
}
