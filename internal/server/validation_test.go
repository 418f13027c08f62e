package server

import (
	"errors"
	"testing"

	"buf.build/go/protovalidate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	furrowv1 "github.com/furrowhq/furrow/gen/furrow/v1"
)

// TestEveryRuleCompiles validates an empty message of every furrow.v1 type: a rule that
// does not compile would otherwise surface as INTERNAL on the first real request.
func TestEveryRuleCompiles(t *testing.T) {
	v, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	protoregistry.GlobalFiles.RangeFilesByPackage("furrow.v1", func(fd protoreflect.FileDescriptor) bool {
		msgs := fd.Messages()
		for i := 0; i < msgs.Len(); i++ {
			md := msgs.Get(i)
			n++
			err := v.Validate(dynamicpb.NewMessage(md))
			var verr *protovalidate.ValidationError
			if err != nil && !errors.As(err, &verr) {
				t.Errorf("%s: rules do not run: %v", md.FullName(), err)
			}
		}
		return true
	})
	if n < 20 {
		t.Fatalf("checked only %d messages; is furrow.v1 registered?", n)
	}
}

func TestValidationStatus(t *testing.T) {
	v, err := protovalidate.New()
	if err != nil {
		t.Fatal(err)
	}
	err = validationStatus(v.Validate(&furrowv1.ClaimAccountRequest{Name: "accounts/x", Owner: ""}))
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("code = %v", st.Code())
	}
	fields := map[string]string{}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, fv := range br.GetFieldViolations() {
				fields[fv.GetField()] = fv.GetDescription()
			}
		}
	}
	if fields["name"] == "" || fields["owner"] == "" {
		t.Errorf("violations = %v (message %q)", fields, st.Message())
	}
	if validationStatus(nil) != nil {
		t.Error("a valid message is an error")
	}
}
