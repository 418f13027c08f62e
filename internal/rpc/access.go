package rpc

import (
	"context"
	"strings"

	"github.com/google/uuid"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
	"github.com/furrowhq/furrow/internal/access"
	"github.com/furrowhq/furrow/internal/activity"
	"github.com/furrowhq/furrow/internal/auth"
	"github.com/furrowhq/furrow/internal/listing"
)

// AccessServer implements furrow.v1.AccessService.
type AccessServer struct {
	furrowv1.UnimplementedAccessServiceServer
	svc *access.Service
}

var _ furrowv1.AccessServiceServer = (*AccessServer)(nil)

// NewAccessServer returns an AccessServer over svc.
func NewAccessServer(svc *access.Service) *AccessServer { return &AccessServer{svc: svc} }

func roleToProto(r auth.Role) furrowv1.Role {
	return enumFromDomain[furrowv1.Role](furrowv1.Role_value, "ROLE_", string(r))
}

func partnerName(id string) string {
	if id == "" {
		return ""
	}
	return "partners/" + id
}

func keyToProto(k *access.Key) *furrowv1.ApiKey {
	return &furrowv1.ApiKey{
		Name: k.Name(), DisplayName: k.DisplayName, Role: roleToProto(k.Role), Partner: partnerName(k.Partner),
		Prefix: "fw_" + k.Prefix, Key: k.Secret, ExpireTime: tsPtr(k.ExpireTime), CreateTime: ts(k.CreateTime),
		RevokeTime: tsPtr(k.RevokeTime), Creator: k.Creator, Person: k.Person,
	}
}

func keyID(name string) (uuid.UUID, error) {
	ids, err := parseName(name, "name", "apiKeys")
	if err != nil {
		return uuid.Nil, err
	}
	return ids[0], nil
}

// CreateApiKey implements furrow.v1.AccessService.
func (s *AccessServer) CreateApiKey(ctx context.Context, req *furrowv1.CreateApiKeyRequest) (*furrowv1.ApiKey, error) {
	in := req.GetApiKey()
	k := access.Key{DisplayName: in.GetDisplayName(), Role: auth.Role(enumToDomain(in.GetRole(), "ROLE_")),
		Partner: strings.TrimPrefix(in.GetPartner(), "partners/"), Person: in.GetPerson()}
	if in.GetExpireTime() != nil {
		t := fromTS(in.GetExpireTime())
		k.ExpireTime = &t
	}
	out, err := s.svc.CreateKey(ctx, k)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return keyToProto(out), nil
}

// GetApiKey implements furrow.v1.AccessService.
func (s *AccessServer) GetApiKey(ctx context.Context, req *furrowv1.GetApiKeyRequest) (*furrowv1.ApiKey, error) {
	id, err := keyID(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	k, err := s.svc.GetKey(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return keyToProto(k), nil
}

// ListApiKeys implements furrow.v1.AccessService.
func (s *AccessServer) ListApiKeys(ctx context.Context, req *furrowv1.ListApiKeysRequest) (*furrowv1.ListApiKeysResponse, error) {
	p, err := s.svc.ListKeys(ctx, req.GetPageSize(), req.GetPageToken(), req.GetShowRevoked())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListApiKeysResponse{ApiKeys: mapItems(p.Items, keyToProto), NextPageToken: p.NextPageToken}, nil
}

// RevokeApiKey implements furrow.v1.AccessService.
func (s *AccessServer) RevokeApiKey(ctx context.Context, req *furrowv1.RevokeApiKeyRequest) (*furrowv1.ApiKey, error) {
	id, err := keyID(req.GetName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	k, err := s.svc.RevokeKey(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return keyToProto(k), nil
}

func partnerToProto(p *access.Partner) *furrowv1.Partner {
	return &furrowv1.Partner{Name: p.Name(), DisplayName: p.DisplayName, CreateTime: ts(p.CreateTime), UpdateTime: ts(p.UpdateTime)}
}

// CreatePartner implements furrow.v1.AccessService.
func (s *AccessServer) CreatePartner(ctx context.Context, req *furrowv1.CreatePartnerRequest) (*furrowv1.Partner, error) {
	p, err := s.svc.CreatePartner(ctx, req.GetPartnerId(), req.GetPartner().GetDisplayName())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return partnerToProto(p), nil
}

// GetPartner implements furrow.v1.AccessService.
func (s *AccessServer) GetPartner(ctx context.Context, req *furrowv1.GetPartnerRequest) (*furrowv1.Partner, error) {
	p, err := s.svc.GetPartner(ctx, strings.TrimPrefix(req.GetName(), "partners/"))
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return partnerToProto(p), nil
}

// ListPartners implements furrow.v1.AccessService.
func (s *AccessServer) ListPartners(ctx context.Context, req *furrowv1.ListPartnersRequest) (*furrowv1.ListPartnersResponse, error) {
	p, err := s.svc.ListPartners(ctx, req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListPartnersResponse{Partners: mapItems(p.Items, partnerToProto), NextPageToken: p.NextPageToken}, nil
}

// ActivityServer implements furrow.v1.ActivityService.
type ActivityServer struct {
	furrowv1.UnimplementedActivityServiceServer
	svc *activity.Service
}

var _ furrowv1.ActivityServiceServer = (*ActivityServer)(nil)

// NewActivityServer returns an ActivityServer over svc.
func NewActivityServer(svc *activity.Service) *ActivityServer { return &ActivityServer{svc: svc} }

func activityToProto(e activity.Entry) *furrowv1.Activity {
	return &furrowv1.Activity{
		Name: "activities/" + itoa(e.ID), CreateTime: ts(e.CreateTime), Actor: e.Actor,
		ActorRole: roleToProto(auth.Role(e.ActorRole)), Partner: partnerName(e.Partner), Method: e.Method,
		Resource: e.Resource, Action: e.Action, ChangedFields: e.ChangedFields, RequestId: e.RequestID,
	}
}

// ListActivities implements furrow.v1.ActivityService.
func (s *ActivityServer) ListActivities(ctx context.Context, req *furrowv1.ListActivitiesRequest) (*furrowv1.ListActivitiesResponse, error) {
	p, err := s.svc.List(ctx, listing.Request{PageSize: req.GetPageSize(), PageToken: req.GetPageToken(), Filter: req.GetFilter()})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &furrowv1.ListActivitiesResponse{Activities: mapItems(p.Items, activityToProto), NextPageToken: p.NextPageToken}, nil
}
