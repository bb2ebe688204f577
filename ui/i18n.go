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
	"nav.connect":      {"学校接入", "Connect a school"},
	"nav.cluster":      {"节点管理", "Nodes"},
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
	"title.connect":        {"学校接入", "Connect a school"},
	"title.cluster":        {"节点管理", "Cluster nodes"},
	"title.error":          {"出错了", "Error"},

	// connect a school (connect.go)
	"connect.intro":      {"学校的电脑或手机与本节点在同一局域网时，用下面的地址打开本系统。", "A school's PC or phone on the same LAN as this node opens the register at the addresses below."},
	"connect.local":      {"局域网名称地址", "Address by LAN name"},
	"connect.local_hint": {"电脑上使用；部分手机不能解析 .local 名称，请改用下方的 IP 地址。", "For PCs; some phones cannot resolve .local names: use the IP address instead."},
	"connect.ip":         {"IP 地址", "IP address"},
	"connect.ip_hint":    {"手机扫码即可打开。", "Scan with a phone to open it."},
	"connect.qr_alt":     {"二维码：%s", "QR code: %s"},
	"connect.interfaces": {"广播所用的网络接口", "Interfaces advertised on"},
	"connect.instance":   {"局域网中显示的名称：", "Name shown on the LAN:"},
	"connect.iface":      {"接口", "Interface"},
	"connect.addresses":  {"地址", "Addresses"},
	"connect.off":        {"本节点没有在局域网中广播（mDNS 已关闭，或没有可用的网络接口）。学校可使用本页当前的地址：", "This node does not advertise itself on the LAN (mDNS is off, or no interface is usable). Schools can use the address of this page:"},
	"connect.this":       {"本页地址", "This page's address"},

	// outbox, freshness and the needs-attention list (sync.go, attention.go)
	"node.pending":      {"待同步", "pending"},
	"node.attention":    {"需处理", "need attention"},
	"nav.attention":     {"需处理", "Needs attention"},
	"title.attention":   {"需处理的提交", "Changes that need attention"},
	"attention.intro":   {"这些修改在本节点离线时提交，主节点恢复联系后拒绝了它们。请按原因处理后点“已处理”。", "These changes were entered on this node while it was cut off; when the link came back the register refused them. Deal with each, then dismiss it."},
	"attention.taken":   {"提交时间", "Entered"},
	"attention.kind":    {"操作", "Change"},
	"attention.author":  {"提交人", "By"},
	"attention.reason":  {"拒绝原因", "Why it was refused"},
	"attention.record":  {"查看记录", "open the record"},
	"attention.dismiss": {"已处理", "Dismiss"},
	"attention.none":    {"没有需要处理的提交。", "Nothing needs your attention."},
	"flash.dismissed":   {"已从列表中移除。", "Removed from the list."},
	"student.pending":   {"有待同步的修改", "changes pending"},
	"error.stale":       {"无法与主节点确认本节点的数据是最新的（强一致读取需要主节点）。请稍后重试，或去掉 consistency=strong 查看本节点的数据。", "This node could not confirm with the leader that its copy is up to date (a strong read needs the leader). Try again later, or read without consistency=strong to see this node's copy."},

	// login
	"login.username":     {"用户名", "Username"},
	"login.password":     {"密码", "Password"},
	"login.submit":       {"登录", "Log in"},
	"login.failed":       {"用户名或密码不正确。", "Wrong username or password."},
	"login.throttled":    {"登录失败次数过多，请 %d 秒后再试。", "Too many failed logins. Try again in %d seconds."},
	"login.intro":        {"请使用管理员分配的账号登录。", "Log in with the account your administrator gave you."},
	"flash.logged_out":   {"您已退出登录。", "You have logged out."},
	"flash.created":      {"学生已登记。", "The child is registered."},
	"flash.updated":      {"学生信息已保存。", "The record is saved."},
	"flash.status":       {"学籍状态已变更。", "The status is changed."},
	"flash.pending":      {"已提交，等待主节点确认；连通后会自动生效。", "Submitted; waiting for the leader to confirm. It takes effect once the link is back."},
	"flash.org_created":  {"已新增。", "Added."},
	"flash.user_created": {"用户已创建。", "The user is created."},

	// flashes of the cluster page (cluster.go)
	"flash.cluster_changed":        {"已提交。节点角色会在主节点确认后生效（新投票节点追上数据后才升级）。", "Done. The node's role follows once the leader applies it (a new voter is promoted once caught up)."},
	"flash.leadership_transferred": {"主节点已移交。", "Leadership is transferred."},

	// cluster page (cluster.go)
	"cluster.nodes":            {"集群节点", "Nodes of the cluster"},
	"cluster.col.id":           {"节点", "Node"},
	"cluster.col.address":      {"集群地址", "Cluster address"},
	"cluster.col.township":     {"乡镇", "Township"},
	"cluster.col.role":         {"角色", "Role"},
	"cluster.col.contact":      {"最后联系", "Last contact"},
	"cluster.col.applied":      {"已应用索引", "Applied index"},
	"cluster.col.actions":      {"操作", "Actions"},
	"cluster.self":             {"本机", "this node"},
	"cluster.leader":           {"主节点", "leader"},
	"cluster.ca":               {"签发证书", "signs joins"},
	"cluster.voter":            {"投票节点", "Voter"},
	"cluster.nonvoter":         {"非投票节点", "Non-voter"},
	"cluster.voter_pending":    {"待升级为投票节点（追赶数据中）", "Voter once caught up"},
	"cluster.not_member":       {"尚未加入", "not yet added"},
	"cluster.unreachable":      {"无法连接", "unreachable"},
	"cluster.promote":          {"升为投票节点", "Promote"},
	"cluster.demote":           {"降为非投票节点", "Demote"},
	"cluster.remove":           {"移除", "Remove"},
	"cluster.transfer":         {"移交主节点（自动选择）", "Transfer leadership (any voter)"},
	"cluster.transfer_to":      {"移交主节点给它", "Make it leader"},
	"cluster.token_new":        {"新节点加入令牌", "Join token for a new node"},
	"cluster.token_voter":      {"作为投票节点加入", "Join as a voter"},
	"cluster.token_voter_hint": {"投票节点应很少：局机关节点和网络最好的一两个节点。乡镇节点一般不投票。", "Keep voters few: the bureau's node and the one or two best-linked nodes. Townships normally do not vote."},
	"cluster.token_ttl":        {"有效期", "Valid for"},
	"cluster.token_ttl_hint":   {"例如 24h、90m、7d；最长 30d。令牌只能使用一次。", "For example 24h, 90m, 7d; at most 30d. A token admits one node."},
	"cluster.token_create":     {"生成令牌", "Create token"},
	"cluster.token_shown_once": {"令牌只显示这一次，请复制后安全地交给新节点的管理员：", "The token is shown this once. Copy it and hand it safely to the new node's administrator:"},
	"cluster.join_help":        {"在新机器上用空的数据目录运行：", "On the new machine, with an empty data directory, run:"},
	"cluster.unavailable":      {"暂时无法连接主节点，节点信息可能不完整，修改无法提交。", "The leader cannot be reached now: the list may be incomplete and changes cannot be made."},
	"cluster.no_node":          {"没有这个节点（或它不是投票节点）。", "No such node (or it is not a voter)."},

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
	"field.age":                  {"年龄", "Age"},
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
	"student.masked_note":    {"身份证号、学籍号和电话已部分隐藏，只显示年龄。", "ID number, student number and phones are partly hidden; only the age is shown."},
	"student.age_n":          {"%d 岁", "%d years"},
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
	"reject.invalid":                  {"填写的内容不符合要求。", "The input is not valid."},
	"reject.not_found":                {"所引用的记录不存在。", "A record it refers to does not exist."},
	"reject.duplicate":                {"该记录已经登记过。", "This record exists already."},
	"reject.conflict":                 {"该记录已被他人修改。请重新载入最新信息后再修改。", "Someone else changed this record meanwhile. Reload it and enter your change again."},
	"reject.forbidden":                {"您没有权限执行此操作。", "You may not do this."},
	"reject.state":                    {"当前状态下不能进行此操作。", "Not allowed in the record's current state."},
	"reject.gap":                      {"命令顺序有缺口，稍后会自动重发。", "A gap in the command sequence; it will be resent."},
	"reject.duplicate.id_number":      {"该身份证号已登记。", "This ID number is registered already."},
	"reject.duplicate.code":           {"该代码已存在。", "This code exists already."},
	"fielderr.destination.required":   {"转出必须填写去向（转入学校及地点），掌握生源去向。", "A transfer out needs the destination school and place."},
	"fielderr.reason.required":        {"休学必须填写原因。", "A suspension needs a reason."},
	"reject.invalid.destination":      {"转出必须填写去向（转入学校及地点），掌握生源去向。", "A transfer out needs the destination school and place."},
	"reject.invalid.reason":           {"休学必须填写原因。", "A suspension needs a reason."},
	"reject.invalid.date":             {"日期不正确（不能晚于今天，不能早于出生日期）。", "The date is not valid (not in the future, not before birth)."},
	"reject.invalid.expected_return":  {"预计复学日期格式应为 年-月-日。", "Write the expected return as YYYY-MM-DD."},
	"reject.state.status":             {"当前学籍状态下不能变更为此状态。", "The child cannot change to this status now."},
	"reject.not_found.township_code":  {"该乡镇不存在。", "No such township."},
	"reject.not_found.village_code":   {"该村（社区）不存在。", "No such village."},
	"reject.not_found.scope":          {"管理范围中的乡镇或学校不存在。", "The township or school of the scope does not exist."},
	"fielderr.generic":                {"此项填写有误", "This field is not valid"},
	"fielderr.required":               {"此项必填。", "Required."},
	"fielderr.utf8":                   {"含有无效字符（不是有效的 UTF-8 文字）。", "Holds characters that are not valid UTF-8 text."},
	"fielderr.content_type":           {"请求内容须为 JSON（Content-Type: application/json）。", "The body must be JSON (Content-Type: application/json)."},
	"fielderr.scope.not_found":        {"没有这个乡镇或学校。", "No such township or school."},
	"fielderr.scope.invalid":          {"该学校没有这个年级。", "The school has no such grade."},
	"fielderr.length":                 {"内容太长。", "Too long."},
	"fielderr.code.format":            {"编码只能由字母、数字、- 或 _ 组成，最多 32 位。", "A code is 1 to 32 letters, digits, - or _."},
	"fielderr.password.length":        {"密码至少 10 个字符。", "A password has at least 10 characters."},
	"fielderr.password.blank":         {"密码不能只有空格。", "A password cannot be only spaces."},
	"fielderr.password.common":        {"这是最常见的密码之一，请另选一个。", "This is one of the commonest passwords: choose another."},
	"reject.duplicate.username":       {"该用户名已存在（不区分大小写）。", "This username exists already (regardless of case)."},
	"fielderr.username.format":        {"用户名只能由字母、数字、- 或 _ 组成，最多 32 位。", "A username is 1 to 32 letters, digits, - or _."},
	"fielderr.format":                 {"格式不正确。", "Not in the right format."},
	"fielderr.range":                  {"超出允许范围。", "Out of range."},
	"fielderr.unknown":                {"不存在，请从列表中选择。", "Unknown: choose from the list."},
	"fielderr.mismatch":               {"与其他填写内容不一致。", "Does not match the other fields."},
	"fielderr.check_digit":            {"身份证号校验位不正确，请核对。", "The ID number's check digit is wrong."},
	"fielderr.id_number.birth_future": {"身份证号中的出生日期晚于今天。", "The birth date in the ID number is in the future."},
	"fielderr.id_number.age":          {"按身份证号，该儿童未满 3 周岁，不是适龄儿童。", "By the ID number the child is under 3: not of school age."},
	"fielderr.id_number.age_grade":    {"按身份证号推算的年龄与所在年级不符。", "The age from the ID number does not fit the grade."},
	"fielderr.birth_date":             {"身份证号中的出生日期无效。", "The ID number holds no valid birth date."},
	"fielderr.gender.mismatch":        {"性别与身份证号不符。", "The gender does not match the ID number."},
	"fielderr.id_number.length":       {"身份证号应为 18 位。", "An ID number has 18 characters."},
	"fielderr.id_number.format":       {"身份证号前 17 位应为数字。", "The first 17 characters of an ID number are digits."},
	"fielderr.grade.range":            {"年级与学校类型不符（小学 1–6，初中 7–9）。", "The grade does not fit the school (primary 1–6, junior 7–9)."},
	"fielderr.group_code.mismatch":    {"该村民小组不属于所选村（社区）。", "This villager group is not in the chosen village."},
	"fielderr.school_code.required":   {"在校学生必须选择学校、年级和班级。", "An enrolled child needs a school, grade and class."},
	"fielderr.status.format":          {"新登记的学生只能是在校、失学（未入学）或送教上门。", "A new child is enrolled, never enrolled or home-taught."},
	"fielderr.scope.admin":            {"系统管理员的范围必须是全区。", "An administrator must have district scope."},
	"fielderr.number":                 {"请填写数字。", "Enter a number."},
	"fielderr.patch_status":           {"学籍状态不能在这里修改，请使用“变更学籍状态”。", "The status is changed with “Change status”, not here."},

	// errors
	"error.400":        {"请求有误。", "The request is not valid."},
	"error.401":        {"请先登录。", "Please log in."},
	"error.403":        {"您没有权限访问此页面。", "You may not open this page."},
	"error.csrf":       {"表单已过期或来源不明，请返回刷新页面后重试。", "The form has expired. Go back, reload the page and try again."},
	"error.404":        {"找不到该页面或记录（也可能不在您的管理范围内）。", "No such page or record (or it is outside your scope)."},
	"error.405":        {"不支持此操作。", "This action is not supported."},
	"error.409":        {"操作被拒绝。", "The change was refused."},
	"error.429":        {"请求过于频繁，请稍后再试。", "Too many requests. Please try again later."},
	"error.bulk_limit": {"您短时间内批量查阅（翻阅大量学生名单、导出或打印台账）过多，每次批量查阅都会记录在登记册中。请在 %d 秒后再试，或用筛选条件缩小范围。", "You have read too many children's records at once in a short time (long lists, exports, print registers); every such read is recorded in the register. Try again in %d seconds, or narrow the list with filters."},
	"error.413":        {"提交的内容太大。", "What you sent is too large."},
	"error.500":        {"抱歉，系统出了问题。请稍后重试；如果问题依旧，请把请求编号告诉管理员。", "Sorry, something went wrong. Please try again; if it keeps happening, give your administrator the request id."},
	"error.503":        {"登记册暂时无法写入（与主节点失去联系）。请稍后重试。", "The register cannot take changes right now (no connection to the leader). Please try again later."},
	"error.other":      {"请求未能完成。", "The request could not be completed."},
	"error.request_id": {"请求编号", "Request id"},
	"error.home":       {"返回学生名册", "Back to the students"},

	// cases (一生一案), dual lines (双线四包), to-do lists, school registers (issue 5)
	"nav.todo":               {"待办事项", "To-do"},
	"nav.cases":              {"一生一案", "Cases"},
	"nav.registers":          {"一校一册", "School registers"},
	"nav.assignments":        {"双线四包", "Responsibility"},
	"title.cases":            {"失学辍学学生案件（一生一案）", "Cases of out-of-school children"},
	"title.case":             {"一生一案", "Case file"},
	"title.dropout":          {"辍学（失学）报告", "Report a child out of school"},
	"title.todo":             {"待办事项", "To-do list"},
	"title.register":         {"一校一册", "School register"},
	"title.registers":        {"一校一册：各校失学辍学学生台账", "School registers of out-of-school children"},
	"title.assignments":      {"双线四包责任人", "Responsibility assignments (dual lines)"},
	"flash.reported":         {"已报告，案件已建立；政府线和教育线的待办事项中均已显示。", "Reported: the case is open and on both lines' to-do lists."},
	"flash.visit":            {"劝返记录已保存。", "The visit is recorded."},
	"flash.escalated":        {"法律程序已记录。", "The legal step is recorded."},
	"flash.case_closed":      {"案件已结案。", "The case is closed."},
	"flash.step_updated":     {"送达与结果已登记。", "Service and outcome are recorded."},
	"flash.assigned":         {"责任人已安排。", "The person is assigned."},
	"flash.assignment_ended": {"该责任安排已结束。", "The assignment has ended."},
	"case.report_dropout":    {"报告辍学（失学）", "Report out of school"},
	"case.report_hint":       {"提交后：在校学生的学籍状态变为“辍学”，未入学儿童状态不变；建立案件（一生一案），列入学校台账（一校一册），并通知政府线和教育线。", "On submit: an enrolled child's status becomes dropped out (a child never enrolled keeps its status); a case is opened, put on the school register and shown to both lines."},
	"case.report_submit":     {"提交报告", "Submit the report"},
	"case.open_existing":     {"查看该学生未结案件", "Open the child's open case"},
	// a case whose dropout report waits in this node's outbox (pending_case.go)
	"case.pending_title":            {"待同步的案件", "Case awaiting sync"},
	"case.pending_title_of":         {"%s 的案件（待同步）", "Case of %s (awaiting sync)"},
	"case.pending_explain":          {"辍学（失学）报告已保存在本节点，与区里恢复连接后自动同步，届时建立案件并编号。在此之前可以照常记录劝返：这些记录排在报告之后，同步时按顺序记入该案件。", "The report is saved on this node and is sent to the district as soon as the link is back; the case gets its number then. Until then, record visits here as usual: they are queued behind the report and go into the case in order."},
	"case.pending_visits":           {"待同步的劝返记录", "Visits awaiting sync"},
	"case.pending_others":           {"另有 %d 项法律程序或结案记录待同步。", "%d more changes (legal steps, close) await sync."},
	"student.pending_report":        {"辍学（失学）报告已提交，待同步到区里，尚无案件编号。", "A report that the child is out of school awaits sync with the district; the case has no number yet."},
	"student.pending_report_link":   {"查看并记录劝返", "Open it and record visits"},
	"case.cases_of_child":           {"该学生的案件", "This child's cases"},
	"case.file":                     {"一生一案", "Case"},
	"case.title_of":                 {"%s 的案件 %s", "Case of %s, %s"},
	"case.id":                       {"案件编号", "Case"},
	"case.kind":                     {"类别", "Kind"},
	"case.date":                     {"辍学（失学）日期", "Date out of school"},
	"case.reason":                   {"原因", "Reason"},
	"case.note":                     {"备注", "Note"},
	"case.state":                    {"案件状态", "State"},
	"case.outcome":                  {"结案结果", "Outcome"},
	"case.total":                    {"共 %d 件", "%d cases"},
	"case.none":                     {"没有符合条件的案件。", "No case matches."},
	"case.visits":                   {"劝返记录", "Persuasion visits"},
	"case.visits_hint":              {"劝返次数括号内为未成功次数（拒绝或未找到）。", "Visits; in brackets the failed ones (refused or not found)."},
	"case.last_step":                {"法律程序", "Legal step"},
	"case.facts":                    {"基本情况", "Facts"},
	"case.reported_by":              {"报告人", "Reported by"},
	"case.previous":                 {"此前案件", "Earlier cases"},
	"case.watch_until":              {"跟踪观察至", "Watched until"},
	"case.responsible":              {"双线四包责任人", "The eight responsible people"},
	"case.responsible_hint":         {"以下为辍学（失学）之日 %s 的责任人，随案存档；“缺”表示尚未安排，请及时补齐。", "As of the date out of school, %s, kept with the case; a gap is marked and must be filled."},
	"case.responsible_now":          {"今日（%s）的责任人", "Responsible today (%s)"},
	"case.person":                   {"责任人", "Person"},
	"case.gap":                      {"缺（未安排）", "gap: nobody assigned"},
	"case.failed_n":                 {"未成功 %d 次（满 %d 次可启动法律程序）", "%d failed (legal steps after %d)"},
	"case.visit_date":               {"劝返日期", "Date"},
	"case.visitors":                 {"参加人员", "Who went"},
	"case.visitors_hint":            {"多人用顿号或逗号分隔", "Separate names with commas"},
	"case.result":                   {"劝返结果", "Result"},
	"case.no_visits":                {"尚无劝返记录。", "No visit yet."},
	"case.escalations":              {"法律程序（法不缺位）", "Legal steps"},
	"case.no_escalations":           {"尚未启动法律程序。", "No legal step yet."},
	"case.step":                     {"程序", "Step"},
	"case.step_date":                {"日期", "Date"},
	"case.document_no":              {"文书编号", "Document number"},
	"case.served_at":                {"送达日期", "Served on"},
	"case.deadline":                 {"限期", "Deadline"},
	"case.step_note":                {"经办情况（送达方式、公安司法等参与情况、结果）", "Record (how served, police/judiciary involvement, result)"},
	"case.add_visit":                {"记录劝返", "Record a visit"},
	"case.add_step":                 {"记录法律程序", "Record a legal step"},
	"case.next_step":                {"下一步：%s。", "Next step: %s."},
	"case.cannot_escalate":          {"须劝返未成功满 %d 次，且责令改正的限期已过，方可进行。", "Allowed after the set number (%d) of failed visits and, after an order, once its deadline has passed."},
	"case.all_steps":                {"法律程序已全部完成。", "Every legal step has been taken."},
	"case.close":                    {"结案", "Close the case"},
	"case.close_date":               {"结案日期", "Date"},
	"case.close_note":               {"说明（异地就读须填写学校及地点；免学须填写批准情况）", "Note (enrolled elsewhere: school and place; exempted: the approval)"},
	"case.close_hint":               {"结案必须选择结果。返校复学的学生自动恢复“在校”，并列入跟踪观察名单 %d 天。", "An outcome is required. A returned child is enrolled again and watched for %d days."},
	"case.print":                    {"打印案卷", "Print the case"},
	"case.reads":                    {"查阅记录", "Who read this case"},
	"case.reads_hint":               {"各节点（区教育局、各乡镇）上的查阅都记录在案，随登记册同步；本节点尚未同步的查阅标为“待同步”。", "Reads at every node (the bureau and each township) are recorded and replicated with the register; reads at this node not yet synced are marked."},
	"title.households":              {"各户儿童", "Households"},
	"households.title_of":           {"%s 各户儿童", "Households of %s"},
	"households.intro":              {"本村民小组内有适龄儿童的各户，按户号列出（组长包户）；只列出您管理范围内的儿童，未填户号的儿童不在其中。", "The households of this villager group with school-age children, by household number (the group leader answers for them); only children in your scope, and with a household number, are listed."},
	"households.leader":             {"包户责任人（村民小组长）", "Group leader (answers for the households)"},
	"households.count":              {"户数", "Households"},
	"households.count_n":            {"%d 户，儿童 %d 人", "%d households, %d children"},
	"households.no":                 {"户号", "Household no."},
	"households.children":           {"儿童", "Children"},
	"households.none":               {"本组没有您管理范围内的儿童。", "No child of this group is in your scope."},
	"households.link":               {"本组各户", "Households of the group"},
	"student.same_household":        {"同户儿童", "Children of the same household"},
	"todo.all":                      {"全部", "All"},
	"todo.mine":                     {"我负责的（%d）", "Mine (%d)"},
	"todo.mine_tag":                 {"我负责", "mine"},
	"assign.username":               {"系统账号（可选）", "Account (optional)"},
	"assign.username_hint":          {"填写此人登录本系统所用的账号，其待办事项即可单独列出本人负责的事项。", "The person's login, if they have one: their to-do list then shows what they themselves owe."},
	"case.read_pending":             {"待同步", "not synced yet"},
	"case.read_via":                 {"方式", "How"},
	"casestate.open":                {"未结案", "Open"},
	"casestate.escalated":           {"法律程序中", "Escalated"},
	"casestate.closed":              {"已结案（销号）", "Closed"},
	"casestate.active":              {"未结案（含法律程序中）", "Open or escalated"},
	"casekind.dropout":              {"辍学", "Dropout"},
	"casekind.out_of_school":        {"失学（未入学）", "Never enrolled"},
	"reason.learning":               {"学习困难、厌学", "Learning difficulty / weariness"},
	"reason.poverty":                {"家庭经济困难", "Family poverty"},
	"reason.work":                   {"外出务工", "Gone to work"},
	"reason.marriage":               {"早婚早育", "Early marriage"},
	"reason.illness":                {"疾病、残疾", "Illness or disability"},
	"reason.guardian_neglect":       {"监护人不履行义务", "Guardian neglect"},
	"reason.other":                  {"其他", "Other"},
	"result.refused":                {"拒绝返校", "Refused"},
	"result.promised":               {"答应返校", "Promised to return"},
	"result.returned":               {"已返校", "Returned"},
	"result.not_found":              {"未找到本人或监护人", "Not found"},
	"vline.government":              {"政府线", "Government line"},
	"vline.education":               {"教育线", "Education line"},
	"vline.joint":                   {"两线联合", "Both lines together"},
	"step.education":                {"批评教育", "Education of the guardian"},
	"step.order":                    {"责令改正（送达通知书）", "Written order (notice)"},
	"step.fine":                     {"行政处罚", "Administrative penalty"},
	"step.lawsuit":                  {"提起诉讼/申请强制执行", "Lawsuit / compulsory enforcement"},
	"outcome.returned":              {"返校复学", "Returned to school"},
	"outcome.enrolled_elsewhere":    {"异地就读", "Enrolled elsewhere"},
	"outcome.home_taught":           {"送教上门", "Home-delivered teaching"},
	"outcome.exempted":              {"经批准免学、缓学", "Exempted with approval"},
	"level.township":                {"区领导包镇", "District leader: township"},
	"level.village":                 {"镇干部包村", "Township cadre: village"},
	"level.group":                   {"村干部包村民小组", "Village cadre: villager group"},
	"level.household":               {"村民小组长包户", "Group leader: households"},
	"level.school":                  {"教育局领导包学校", "Bureau leader: school"},
	"level.grade":                   {"学校领导包年级", "School leader: grade"},
	"level.class":                   {"班主任包班", "Head teacher: class"},
	"level.student":                 {"科任教师包人", "Subject teacher: student"},
	"via.page":                      {"网页", "page"},
	"via.print":                     {"打印", "print"},
	"via.notice":                    {"通知书", "notice"},
	"via.api":                       {"接口", "API"},
	"todo.intro":                    {"您管理范围内各案件需要处理的事项。劝返间隔 %d 天；未成功劝返满 %d 次后可启动法律程序。", "What the cases in your scope need. Visits every %d days; legal steps after %d failed visits."},
	"todo.items":                    {"待办", "To do"},
	"todo.what":                     {"事项", "What"},
	"todo.since":                    {"起始日期", "Since"},
	"todo.lines":                    {"负责条线", "Lines"},
	"todo.none":                     {"暂无待办事项。", "Nothing to do."},
	"todo.watch":                    {"返校跟踪观察名单", "Watch list of returned children"},
	"todo.watch_none":               {"暂无跟踪观察的学生。", "Nobody on the watch list."},
	"todo.returned_on":              {"返校日期", "Returned"},
	"todo.until":                    {"观察至", "Until"},
	"todo.unit_gaps":                {"未安排责任人的单位", "Units with nobody responsible"},
	"todo.unit_gaps_link":           {"共 %d 处未安排，去补齐", "%d gaps: fill them"},
	"todo.new_report":               {"新报告，待首次劝返", "New report: first visit due"},
	"todo.visit_due":                {"劝返到期", "Visit due"},
	"todo.escalation_waiting":       {"可启动下一步法律程序", "Next legal step possible"},
	"todo.returned":                 {"已返校，待结案", "Back at school: close the case"},
	"todo.missing_assignment":       {"责任人缺位", "Nobody responsible"},
	"register.link":                 {"学校台账", "School register"},
	"register.title_of":             {"%s 失学辍学学生台账（一校一册）", "%s: register of out-of-school children"},
	"register.intro":                {"每所学校一本失学辍学学生台账；结案（销号）的学生仍保留在台账中。", "One register per school; closed cases stay on it."},
	"register.open":                 {"未结案", "Open"},
	"register.closed":               {"已结案", "Closed"},
	"register.xlsx":                 {"导出 Excel", "Export to Excel"},
	"register.print":                {"打印（A4）", "Print (A4)"},
	"register.counts":               {"共 %d 人，其中未结案 %d 人，已结案 %d 人", "%d children: %d open, %d closed"},
	"register.none":                 {"本校暂无失学辍学学生。", "No out-of-school child at this school."},
	"register.n":                    {"序号", "No."},
	"register.responsible":          {"包保责任人", "Responsible"},
	"print.hint":                    {"请使用浏览器的打印功能（A4 纸）。", "Use the browser's print command (A4)."},
	"print.case_title":              {"失学辍学学生个人档案（一生一案）", "Case file of an out-of-school child"},
	"print.register_title":          {"失学辍学学生台账", "Register of out-of-school children"},
	"print.printed":                 {"打印日期：%s", "Printed %s"},
	"print.not_closed":              {"尚未结案。", "Not closed yet."},
	"print.sign_school":             {"学校（盖章）：", "School (seal):"},
	"print.sign_township":           {"镇人民政府（盖章）：", "Township government (seal):"},
	"print.sign_date":               {"日期：", "Date:"},
	"print.sign_maker":              {"填表人：", "Prepared by:"},
	"print.sign_head":               {"校长：", "Head teacher:"},
	"notice.title":                  {"责令送被监护人接受义务教育通知书", "Order to send the child in your care to compulsory education"},
	"notice.print":                  {"打印责令通知书", "Print the order"},
	"notice.government":             {"人民政府", " people's government"},
	"notice.guardian_blank":         {"________（监护人）", "________ (guardian)"},
	"notice.body":                   {"你的被监护人%s（%s，%s出生）系适龄儿童少年，自%s起未到%s接受义务教育。经多次劝返，至今仍未返校。现责令你于%s前送其到校入学（复学），接受并完成义务教育。", "The child in your care, %s (%s, born %s), of compulsory-school age, has not attended school since %s (%s) and has not returned despite repeated visits. You are ordered to send the child to school by %s to receive and complete compulsory education."},
	"notice.law":                    {"根据《中华人民共和国义务教育法》第五条、第十一条、第五十八条及《中华人民共和国未成年人保护法》的规定，适龄儿童、少年的父母或者其他法定监护人应当依法保证其按时入学接受并完成义务教育。", "Under the Compulsory Education Law (Articles 5, 11 and 58) and the Law on the Protection of Minors, parents and guardians must ensure that a school-age child enrols and completes compulsory education."},
	"notice.warning":                {"逾期仍不送被监护人入学的，将依法给予行政处罚，并可依法申请人民法院强制执行。", "If the child is not sent to school by the deadline, an administrative penalty will be imposed and compulsory enforcement may be sought from the people's court."},
	"notice.service":                {"送达回证", "Record of service"},
	"notice.doc":                    {"送达文书", "Document"},
	"notice.served_to":              {"受送达人", "Served to"},
	"notice.receiver_sign":          {"受送达人签名", "Signature of recipient"},
	"notice.server_sign":            {"送达人签名", "Signature of server"},
	"notice.method":                 {"送达方式", "How served"},
	"notice.methods":                {"□直接送达　□留置送达　□委托送达　□邮寄送达", "□ in person　□ left at home　□ by agent　□ by post"},
	"notice.service_note":           {"送达情况", "Record"},
	"field.case":                    {"案件", "Case"},
	"field.student":                 {"学生", "Child"},
	"field.visit":                   {"劝返次序", "Visit"},
	"field.visitors":                {"参加人员", "Who went"},
	"field.result":                  {"劝返结果", "Result"},
	"field.step":                    {"法律程序", "Legal step"},
	"field.state":                   {"案件状态", "Case state"},
	"field.outcome":                 {"结案结果", "Outcome"},
	"field.document_no":             {"文书编号", "Document number"},
	"field.assignment":              {"责任安排", "Assignment"},
	"field.person":                  {"责任人", "Person"},
	"field.start":                   {"开始日期", "From"},
	"field.end":                     {"结束日期", "To"},
	"field.ended":                   {"交接结束原安排", "Handover: ended"},
	"field.failed_visits":           {"启动法律程序所需未成功劝返次数", "Failed visits before legal steps"},
	"field.watch_days":              {"返校跟踪观察天数", "Days on the watch list"},
	"field.visit_interval":          {"劝返间隔天数", "Days between visits"},
	"notice.blank_date":             {"____年__月__日", "____-__-__"},
	"assign.intro":                  {"政府线：区领导包镇、镇干部包村、村干部包村民小组、村民小组长包户；教育线：教育局领导包学校、学校领导包年级、班主任包班、科任教师包人。历史记录保留。", "Government line: district leader → township, township cadre → village, village cadre → villager group, group leader → households. Education line: bureau leader → school, school leader → grade, head teacher → class, subject teacher → student. History is kept."},
	"assign.id":                     {"编号", "Id"},
	"assign.level":                  {"层级", "Level"},
	"assign.unit":                   {"责任单位", "Unit"},
	"assign.unit_hint":              {"责任单位写法：乡镇、村、村民小组、学校填代码；年级写“学校代码/年级”，班级写“学校代码/年级/班”，学生写学生编号（如 S12）。新安排会自动结束同一单位原有的未结束安排（交接）。", "Unit: the code of the township, village, villager group or school; a grade SCHOOL/GRADE, a class SCHOOL/GRADE/CLASS, a student the child's id (S12). A new assignment ends the unit's current one the day before (handover)."},
	"assign.households":             {"（全组各户）", " (its households)"},
	"assign.post":                   {"职务", "Post"},
	"assign.start":                  {"开始日期", "From"},
	"assign.end":                    {"结束日期", "To"},
	"assign.end_button":             {"结束", "End"},
	"assign.active_on":              {"在岗日期", "Active on"},
	"assign.add":                    {"安排责任人", "Assign a person"},
	"assign.gaps":                   {"今日未安排责任人的单位", "Units with nobody responsible today"},
	"assign.no_gaps":                {"所有单位均已安排责任人。", "Every unit has a responsible person."},
	"assign.fill":                   {"安排", "Assign"},
	"kind.case.report":              {"辍学（失学）报告", "Out-of-school report"},
	"kind.case.visit":               {"劝返记录", "Visit recorded"},
	"kind.case.escalate":            {"法律程序", "Legal step"},
	"kind.case.step_update":         {"法律程序送达与结果", "Legal step: service and outcome"},
	"case.served_how":               {"送达方式", "Served how"},
	"case.served_how_hint":          {"如直接送达、留置送达、邮寄送达", "e.g. in person, left at the address, by post"},
	"case.step_outcome":             {"结果", "Outcome"},
	"case.update_step":              {"登记送达与结果", "Record service and outcome"},
	"case.update_step_hint":         {"文书送达或程序有了结果后在此登记；已登记的内容可以更正，原内容保留在修改记录中。", "Record here when a document was served or what came of a step; a correction keeps the old value in the audit trail."},
	"kind.case.close":               {"结案", "Case closed"},
	"nav.case_settings":             {"案件设置", "Case settings"}, // case settings page
	"title.case_settings":           {"案件设置", "Case settings"},
	"settings.intro":                {"以下设置适用于全区所有失学辍学案件（一生一案），只有系统管理员可以修改；每次修改的人员、节点和时间都记入修改记录。", "These settings apply to every case in the district. Only administrators may change them; who changed them, on which node and when is kept in the audit trail."},
	"settings.item":                 {"设置项", "Setting"},
	"settings.value":                {"当前值", "Current value"},
	"settings.default":              {"默认值", "Default"},
	"settings.meaning":              {"作用", "What it changes"},
	"settings.help.failed_visits":   {"家访（劝返）失败几次后可启动法律程序（法不缺位）。“失败”指拒绝返校或未找到本人、监护人；未成功次数达到此数后，案件方可进行第一步“批评教育”。", "How many failed persuasion visits (refused, or nobody found) a case needs before its first legal step (education of the guardian) may be taken."},
	"settings.help.visit_interval":  {"两次劝返之间相隔的天数：距上次劝返满此天数、学生仍未返校的，在待办事项中列为“劝返到期”。", "Days between persuasion visits: once the last visit is this many days old and the child is still out, a visit is due on the to-do list."},
	"settings.help.watch_days":      {"返校复学结案后，学生留在跟踪观察名单上的天数，以防再次辍学。只影响修改之后结案的案件。", "Days a child who returned to school stays on the watch list after the case is closed, against dropping out again. Applies to cases closed after the change."},
	"settings.unit.failed_visits":   {"%d 次", "%d failed visits"},
	"settings.unit.visit_interval":  {"%d 天", "%d days"},
	"settings.unit.watch_days":      {"%d 天", "%d days"},
	"settings.edit":                 {"修改设置", "Change the settings"},
	"settings.range":                {"填 %d 至 %d 之间的整数。", "A whole number from %d to %d."},
	"settings.range_error":          {"须为 %d 至 %d 之间的整数。", "Must be a whole number from %d to %d."},
	"settings.applies":              {"保存后适用于全区所有未结案件：待办事项以及能否启动法律程序随之改变。", "Once saved they apply to every open case: the to-do lists and whether a legal step may be taken follow them."},
	"settings.submit":               {"保存设置", "Save the settings"},
	"settings.changed":              {"在您打开本页之后，其他管理员已修改了案件设置（上表和下方表单为现在的设置）。您的修改没有保存，请重新填写后提交。", "Another administrator changed the case settings after you opened this page (the table and the form show them now). Your change was not saved: enter it again and submit."},
	"settings.updated":              {"最近一次由 %s 于 %s 修改。", "Last changed by %s on %s."},
	"flash.case_settings_saved":     {"案件设置已保存。", "The case settings are saved."},
	"kind.case.read":                {"查阅案件", "Read a case"},
	"kind.bulk.read":                {"批量查阅", "Bulk read"},
	"kind.case.settings":            {"案件设置", "Case settings"},
	"kind.assignment.create":        {"安排责任人", "Person assigned"},
	"kind.assignment.end":           {"结束责任安排", "Assignment ended"},
	"reject.state.step":             {"法律程序须按顺序进行，且须在劝返未成功达到规定次数之后、责令改正限期届满之后。", "Legal steps go in order, after the set number of failed visits, and after the order's deadline."},
	"reject.state.case_id":          {"该案件已结案，不能再记录。", "The case is closed: nothing more can be recorded."},
	"reject.state.student_id":       {"该学生已有未结案件，或当前学籍状态不能报告辍学。", "The child has an open case already, or cannot be reported in this status."},
	"reject.invalid.outcome":        {"结案必须选择结果。", "A case is closed only with an outcome."},
	"reject.conflict.start":         {"与该单位已有的责任安排时间重叠，请先结束原安排。", "Overlaps an existing assignment of this unit: end it first."},
	"reject.invalid.unit":           {"责任单位写法不正确。", "The unit is not written correctly."},
	"reject.not_found.unit":         {"责任单位不存在。", "No such unit."},
	"fielderr.outcome.required":     {"结案必须选择结果。", "A case is closed only with an outcome."},
	"fielderr.visitors.required":    {"请填写参加劝返的人员。", "Name who went."},
	"fielderr.note.required":        {"请填写说明。", "A note is required here."},
	"fielderr.deadline.required":    {"责令改正须填写限期。", "An order needs a deadline."},
	"fielderr.document_no.required": {"须填写文书编号。", "A document number is required."},

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
