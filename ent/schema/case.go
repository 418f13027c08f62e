package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// CaseRecord is a best-practice case (table "cases"; ent cannot call a type Case, whose
// package name would be a Go keyword): its workflow state and which of its versions is being
// worked on and which is published. The content lives in CaseVersion rows, so a
// published case can be edited (a new version under review) while readers keep seeing
// the published one. Full-text search reads the hand-written case_search table (see the
// cases migration): a tsvector with a GIN index on PostgreSQL, an FTS5 table on SQLite.
type CaseRecord struct{ ent.Schema }

// Annotations of CaseRecord.
func (CaseRecord) Annotations() []schema.Annotation {
	return []schema.Annotation{entsql.Annotation{Table: "cases"}}
}

// Mixin of CaseRecord.
func (CaseRecord) Mixin() []ent.Mixin { return []ent.Mixin{resourceMixin{}} }

// Fields of CaseRecord.
func (CaseRecord) Fields() []ent.Field {
	return []ent.Field{
		// state is the working version's state: DRAFT, IN_REVIEW, PUBLISHED, ARCHIVED.
		field.String("state"),
		field.String("author").Immutable(),
		field.UUID("working_version_id", uuid.UUID{}),
		// published_version_id is the version readers see; nil until first approved.
		field.UUID("published_version_id", uuid.UUID{}).Optional().Nillable(),
		field.Time("publish_time").Optional().Nillable(),
		field.Int("version_count").Default(1),
		// review_comment is the last reviewer's comment (on reject or approve).
		field.Text("review_comment").Default(""),
	}
}

// Indexes of CaseRecord.
func (CaseRecord) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("state", "id"),
		index.Fields("published_version_id"),
		index.Fields("author"),
	}
}

// CaseVersion is one version of a case's content, with its customer acknowledgement.
// Industry, problem category, products and tags are keys from the admin-managed lists;
// products, tags and results are JSON (products and tags are also in CaseTerm, for exact
// filters).
type CaseVersion struct{ ent.Schema }

// Fields of CaseVersion.
func (CaseVersion) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("case_id", uuid.UUID{}).Immutable(),
		field.Int("number").Immutable(),
		field.Time("create_time").Immutable(),
		field.Time("update_time"),
		field.String("editor").Default(""),
		field.String("title"),
		field.UUID("account_id", uuid.UUID{}),
		field.String("industry").Default(""),
		field.String("problem_category").Default(""),
		field.Text("scenario").Default(""),
		field.Text("problem").Default(""),
		field.Text("solution").Default(""),
		field.Text("products").Default("[]"),
		field.Text("tags").Default("[]"),
		field.Text("results").Default("[]"),
		field.UUID("ack_contact_id", uuid.UUID{}).Optional().Nillable(),
		field.Time("ack_time").Optional().Nillable(),
		field.String("ack_scope").Default(""),
		field.Time("ack_expire_time").Optional().Nillable(),
		field.Time("ack_revoke_time").Optional().Nillable(),
		field.String("ack_revoked_by").Default(""),
		field.Text("ack_revoke_reason").Default(""),
	}
}

// Indexes of CaseVersion.
func (CaseVersion) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("case_id", "number").Unique(),
		index.Fields("industry"),
		index.Fields("problem_category"),
		index.Fields("account_id"),
	}
}

// CaseTerm is one product or tag of a case version, so filters on them are exact and
// indexed.
type CaseTerm struct{ ent.Schema }

// Fields of CaseTerm.
func (CaseTerm) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("version_id", uuid.UUID{}).Immutable(),
		field.String("kind").Immutable(), // product, tag
		field.String("value").Immutable(),
	}
}

// Indexes of CaseTerm.
func (CaseTerm) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "value", "version_id").Unique(),
		index.Fields("version_id"),
	}
}

// CaseEvent is one entry of a case's history: a transition, an edit or an
// acknowledgement change, with who, when and a comment. Append-only.
type CaseEvent struct{ ent.Schema }

// Fields of CaseEvent.
func (CaseEvent) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("case_id", uuid.UUID{}).Immutable(),
		field.Time("time").Immutable(),
		field.String("actor").Default("").Immutable(),
		field.String("action").Immutable(),
		field.String("from_state").Default("").Immutable(),
		field.String("to_state").Default("").Immutable(),
		field.Int("version").Default(0).Immutable(),
		field.Text("comment").Default("").Immutable(),
	}
}

// Indexes of CaseEvent.
func (CaseEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("case_id", "time", "id")}
}

// CaseTaxonomyTerm is an entry of an admin-managed list cases draw from: an industry, a
// problem category or a product. Its id is its resource name (e.g. "industries/retail").
type CaseTaxonomyTerm struct{ ent.Schema }

// Fields of CaseTaxonomyTerm.
func (CaseTaxonomyTerm) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").Immutable(),
		field.String("kind").Immutable(), // industry, problem_category, product
		field.String("display_name"),
		field.Text("description").Default(""),
		field.Time("create_time").Immutable(),
	}
}

// Indexes of CaseTaxonomyTerm.
func (CaseTaxonomyTerm) Indexes() []ent.Index {
	return []ent.Index{index.Fields("kind", "id")}
}
