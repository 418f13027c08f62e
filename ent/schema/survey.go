package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"github.com/google/uuid"
)

// SurveyResponse is one answer of a contact to a survey (NPS, CSAT) or a complaint.
// Kept as sent; an exclusion leaves it out of figures without deleting it.
type SurveyResponse struct{ ent.Schema }

// Fields of SurveyResponse.
func (SurveyResponse) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.UUID("contact_id", uuid.UUID{}).Immutable(),
		field.String("kind").Immutable(), // NPS, CSAT, COMPLAINT
		// score is 0–10 (NPS) or 1–5 (CSAT); absent for a complaint.
		field.Int("score").Optional().Nillable().Immutable(),
		field.Text("comment").Default("").Immutable(),
		field.String("channel").Default("").Immutable(),
		field.Time("time").Immutable(),
		field.String("source").Default("").Immutable(),
		field.String("response_id").Immutable(), // the sender's id; unique per account and source
		field.Time("create_time").Immutable(),
		field.Bool("is_excluded").Default(false),
		field.Text("exclude_reason").Default(""),
		field.String("excluded_by").Default(""),
		field.Time("exclude_time").Optional().Nillable(),
	}
}

// Indexes of SurveyResponse: one (account, source, response_id) is one response;
// reports read a period's responses by time.
func (SurveyResponse) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "source", "response_id").Unique(),
		index.Fields("account_id", "time", "id"),
		index.Fields("time", "kind"),
	}
}

// SurveyInvitation records that a contact was asked to answer a survey, so nobody is
// surveyed again too soon.
type SurveyInvitation struct{ ent.Schema }

// Fields of SurveyInvitation.
func (SurveyInvitation) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Immutable(),
		field.UUID("account_id", uuid.UUID{}).Immutable(),
		field.UUID("contact_id", uuid.UUID{}).Immutable(),
		field.String("channel").Default("").Immutable(),
		field.String("invitation_id").Immutable(), // the sender's id: a resend is the same invitation
		field.Time("time").Immutable(),
		field.String("creator").Default("").Immutable(),
	}
}

// Indexes of SurveyInvitation.
func (SurveyInvitation) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("account_id", "invitation_id").Unique(),
		index.Fields("contact_id", "time"),
		index.Fields("account_id", "time"),
	}
}
