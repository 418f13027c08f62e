// Package auth knows who is calling and what each role may call: the caller carried
// in a request's context, and the one table from API method to allowed roles.
package auth

import (
	"context"
	"slices"
	"strings"
)

// Role is what a key may do.
type Role string

// The roles.
const (
	Admin   Role = "ADMIN"   // everything, including keys, partners and the activity log
	Member  Role = "MEMBER"  // read and write customer data
	Viewer  Role = "VIEWER"  // read customer data
	Partner Role = "PARTNER" // one partner's accounts, and sync
)

// Roles lists the roles.
var Roles = []Role{Admin, Member, Viewer, Partner}

// Caller is who makes a request.
type Caller struct {
	Name    string // "apiKeys/{id}", or "cli" / "system" for work not done through the API
	Role    Role
	Partner string // the partner id a PARTNER key acts for
	Person  string // the person the key acts for (the same reference account owners use), if any
}

// Actor is who did something, as history records it: the person the key acts for when
// it names one, so authors, reviewers and auditors are the same references account
// owners are; otherwise the key itself.
func (c Caller) Actor() string {
	if c.Person != "" {
		return c.Person
	}
	return c.Name
}

// IsPartner reports whether the caller is restricted to one partner's records.
func (c Caller) IsPartner() bool { return c.Role == Partner }

// System is the caller of work the server or the CLI does itself.
var System = Caller{Name: "system", Role: Admin}

type callerKey struct{}
type methodKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller of ctx; without one (tools, tests of the domain) it is
// System.
func CallerFrom(ctx context.Context) Caller {
	if c, ok := ctx.Value(callerKey{}).(Caller); ok {
		return c
	}
	return System
}

// WithMethod returns ctx carrying the API method being served.
func WithMethod(ctx context.Context, method string) context.Context {
	return context.WithValue(ctx, methodKey{}, method)
}

// MethodFrom returns the API method ctx serves, or "".
func MethodFrom(ctx context.Context) string {
	m, _ := ctx.Value(methodKey{}).(string)
	return m
}

// Public reports whether a method needs no key: health checks and reflection.
func Public(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.Health/") ||
		strings.HasPrefix(method, "/grpc.reflection.v1.ServerReflection/") ||
		strings.HasPrefix(method, "/grpc.reflection.v1alpha.ServerReflection/")
}

// Allowed reports whether role r may call method, and whether the method is in the
// table at all (an unknown method is denied to everyone).
func Allowed(method string, r Role) (allowed, known bool) {
	roles, ok := methodRoles[method]
	return ok && slices.Contains(roles, r), ok
}

// Methods returns every method of the table, for tests that hold it to the API.
func Methods() map[string][]Role {
	out := make(map[string][]Role, len(methodRoles))
	for m, rs := range methodRoles {
		out[m] = slices.Clone(rs)
	}
	return out
}

var (
	read       = []Role{Admin, Member, Viewer}
	readP      = []Role{Admin, Member, Viewer, Partner}
	write      = []Role{Admin, Member}
	writeP     = []Role{Admin, Member, Partner}
	adminOnly  = []Role{Admin}
	syncAccess = []Role{Admin, Partner}
)

// methodRoles is the one table of who may call what. Every API method must be here (a
// test checks); a method missing from it is denied to everyone. Partner keys are
// further limited to their own partner's records by the domain.
var methodRoles = map[string][]Role{
	"/furrow.v1.AccountService/GetAccount":                readP,
	"/furrow.v1.AccountService/ListAccounts":              readP,
	"/furrow.v1.AccountService/CreateAccount":             writeP,
	"/furrow.v1.AccountService/UpdateAccount":             writeP,
	"/furrow.v1.AccountService/DeleteAccount":             write,
	"/furrow.v1.AccountService/UndeleteAccount":           write,
	"/furrow.v1.AccountService/ClaimAccount":              write,
	"/furrow.v1.AccountService/TransferAccount":           write,
	"/furrow.v1.AccountService/ListOwnershipHistory":      read,
	"/furrow.v1.AccountService/ListStageChanges":          read,
	"/furrow.v1.AccountService/CreateContact":             writeP,
	"/furrow.v1.AccountService/GetContact":                readP,
	"/furrow.v1.AccountService/ListContacts":              readP,
	"/furrow.v1.AccountService/UpdateContact":             writeP,
	"/furrow.v1.AccountService/DeleteContact":             write,
	"/furrow.v1.AccountService/SetPrimaryContact":         write,
	"/furrow.v1.AccountService/ListPrimaryContactChanges": read,
	"/furrow.v1.AccountService/CreateDeal":                writeP,
	"/furrow.v1.AccountService/GetDeal":                   readP,
	"/furrow.v1.AccountService/ListDeals":                 readP,
	"/furrow.v1.AccountService/UpdateDeal":                writeP,
	"/furrow.v1.AccountService/DeleteDeal":                write,
	"/furrow.v1.AccountService/CreateInteraction":         write,
	"/furrow.v1.AccountService/GetInteraction":            read,
	"/furrow.v1.AccountService/ListInteractions":          read,
	"/furrow.v1.AccountService/UpdateInteraction":         write,
	"/furrow.v1.AccountService/DeleteInteraction":         write,

	"/furrow.v1.AccessService/CreateApiKey":  adminOnly,
	"/furrow.v1.AccessService/GetApiKey":     adminOnly,
	"/furrow.v1.AccessService/ListApiKeys":   adminOnly,
	"/furrow.v1.AccessService/RevokeApiKey":  adminOnly,
	"/furrow.v1.AccessService/CreatePartner": adminOnly,
	"/furrow.v1.AccessService/GetPartner":    adminOnly,
	"/furrow.v1.AccessService/ListPartners":  adminOnly,

	"/furrow.v1.ActivityService/ListActivities": adminOnly,

	"/furrow.v1.SyncService/BatchUpsertAccounts": syncAccess,
	"/furrow.v1.SyncService/ListAccountChanges":  syncAccess,

	"/furrow.v1.HealthService/BatchCreateSignals":           writeP,
	"/furrow.v1.HealthService/ListSignals":                  readP,
	"/furrow.v1.HealthService/CreateScorecard":              adminOnly,
	"/furrow.v1.HealthService/GetScorecard":                 read,
	"/furrow.v1.HealthService/ListScorecards":               read,
	"/furrow.v1.HealthService/UpdateScorecard":              adminOnly,
	"/furrow.v1.HealthService/ListScorecardVersions":        read,
	"/furrow.v1.HealthService/GetHealthScore":               read,
	"/furrow.v1.HealthService/ListHealthScores":             read,
	"/furrow.v1.HealthService/ListHealthScoreHistory":       read,
	"/furrow.v1.HealthService/ComputeHealthScore":           write,
	"/furrow.v1.HealthService/OverrideHealthScore":          write,
	"/furrow.v1.HealthService/ClearHealthScoreOverride":     write,
	"/furrow.v1.HealthService/RecomputeHealthScores":        adminOnly,
	"/furrow.v1.HealthService/GetRecomputeJob":              adminOnly,
	"/furrow.v1.HealthService/ListRecomputeJobs":            adminOnly,
	"/furrow.v1.HealthService/CancelRecomputeJob":           adminOnly,
	"/furrow.v1.RetentionService/GetRetentionPolicy":        read,
	"/furrow.v1.RetentionService/UpdateRetentionPolicy":     adminOnly,
	"/furrow.v1.RetentionService/GetRetentionLabel":         read,
	"/furrow.v1.RetentionService/ListRetentionLabels":       read,
	"/furrow.v1.RetentionService/ListRetentionLabelHistory": read,
	"/furrow.v1.RetentionService/EvaluateRetentionLabel":    write,
	"/furrow.v1.RetentionService/SetRetentionLabel":         write,
	"/furrow.v1.RetentionService/ClearRetentionLabel":       write,
	"/furrow.v1.RetentionService/GetRetentionAlert":         read,
	"/furrow.v1.RetentionService/ListRetentionAlerts":       read,
	"/furrow.v1.RetentionService/AcknowledgeRetentionAlert": write,
	"/furrow.v1.RetentionService/WorkRetentionAlert":        write,
	"/furrow.v1.RetentionService/CloseRetentionAlert":       write,
	"/furrow.v1.SurveyService/BatchCreateSurveyResponses":   writeP,
	"/furrow.v1.SurveyService/GetSurveyResponse":            readP,
	"/furrow.v1.SurveyService/ListSurveyResponses":          readP,
	"/furrow.v1.SurveyService/ExcludeSurveyResponse":        write,
	"/furrow.v1.SurveyService/IncludeSurveyResponse":        write,
	"/furrow.v1.SurveyService/GetSurveyReport":              read,
	"/furrow.v1.SurveyService/CheckSurveyEligibility":       readP,
	"/furrow.v1.SurveyService/CreateSurveyInvitation":       writeP,
	"/furrow.v1.AuditService/CreateAuditDepartment":         adminOnly,
	"/furrow.v1.AuditService/UpdateAuditDepartment":         adminOnly,
	"/furrow.v1.AuditService/GetAuditDepartment":            read,
	"/furrow.v1.AuditService/ListAuditDepartments":          read,
	"/furrow.v1.AuditService/CreateServiceStandard":         adminOnly,
	"/furrow.v1.AuditService/UpdateServiceStandard":         adminOnly,
	"/furrow.v1.AuditService/GetServiceStandard":            read,
	"/furrow.v1.AuditService/ListServiceStandards":          read,
	"/furrow.v1.AuditService/GetAuditPolicy":                read,
	"/furrow.v1.AuditService/UpdateAuditPolicy":             adminOnly,
	"/furrow.v1.AuditService/CreateAudit":                   write,
	"/furrow.v1.AuditService/GetAudit":                      read,
	"/furrow.v1.AuditService/ListAudits":                    read,
	"/furrow.v1.AuditService/ListAuditEvents":               read,
	"/furrow.v1.AuditService/GetAuditReport":                read,
	"/furrow.v1.AuditService/InvestigateAudit":              write,
	"/furrow.v1.AuditService/PauseAudit":                    write,
	"/furrow.v1.AuditService/ResumeAudit":                   write,
	"/furrow.v1.AuditService/ResolveAudit":                  write,
	"/furrow.v1.AuditService/CloseAudit":                    write,
	"/furrow.v1.AuditService/ReopenAudit":                   write,
	"/furrow.v1.AuditService/SetAuditGreenChannel":          write,
	"/furrow.v1.AuditService/ChangeAuditSeverity":           write,
	"/furrow.v1.AuditService/DispatchAudit":                 write,
	"/furrow.v1.AuditService/SetAuditAccountability":        write,
	"/furrow.v1.AuditService/AddAuditNote":                  write,
	"/furrow.v1.AuditService/ReassignAudit":                 write,

	// Cases: everyone reads (viewers and partners only live published cases, which
	// the domain enforces); members write and review; admins keep the lists.
	"/furrow.v1.CaseService/CreateCase":                write,
	"/furrow.v1.CaseService/GetCase":                   readP,
	"/furrow.v1.CaseService/ListCases":                 readP,
	"/furrow.v1.CaseService/UpdateCase":                write,
	"/furrow.v1.CaseService/SubmitCase":                write,
	"/furrow.v1.CaseService/ApproveCase":               write,
	"/furrow.v1.CaseService/RejectCase":                write,
	"/furrow.v1.CaseService/ArchiveCase":               write,
	"/furrow.v1.CaseService/RevokeCaseAcknowledgement": write,
	"/furrow.v1.CaseService/ListCaseEvents":            write,
	"/furrow.v1.CaseService/CreateIndustry":            adminOnly,
	"/furrow.v1.CaseService/ListIndustries":            readP,
	"/furrow.v1.CaseService/DeleteIndustry":            adminOnly,
	"/furrow.v1.CaseService/CreateProblemCategory":     adminOnly,
	"/furrow.v1.CaseService/ListProblemCategories":     readP,
	"/furrow.v1.CaseService/DeleteProblemCategory":     adminOnly,
	"/furrow.v1.CaseService/CreateProduct":             adminOnly,
	"/furrow.v1.CaseService/ListProducts":              readP,
	"/furrow.v1.CaseService/DeleteProduct":             adminOnly,

	// Analytics reports span every account of a segment, so partner keys (limited to
	// their own partner's records) may not read them.
	"/furrow.v1.AnalyticsService/GetAssetInventory":  read,
	"/furrow.v1.AnalyticsService/GetValueManagement": read,
	"/furrow.v1.AnalyticsService/GetSuccessKpis":     read,
	"/furrow.v1.AnalyticsService/GetFunnel":          read,
}
