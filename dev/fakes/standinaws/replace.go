package standinaws

import (
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// forcesNew reports whether changing a property from old to new replaces the
// resource: the Terraform provider marks the attribute, or a changed attribute
// inside it, ForceNew (reference/terraform-aws.json). An unknown new value of
// such an attribute may change it, so it replaces too, as Terraform plans.
func forcesNew(p *Prop, old, new resource.PropertyValue) bool {
	if old.DeepEquals(new) {
		return false
	}
	if p.ForceNew {
		return true
	}
	switch {
	case p.Type == "object" && old.IsObject() && new.IsObject():
		return objectForcesNew(p.Properties, old.ObjectValue(), new.ObjectValue())
	case p.Type == "object" && p.Properties != nil:
		return anyForceNew(p.Properties)
	case p.Type == "array" && p.Items != nil && p.Items.Properties != nil:
		if !old.IsArray() || !new.IsArray() || len(old.ArrayValue()) != len(new.ArrayValue()) {
			return anyForceNew(p.Items.Properties)
		}
		for i, o := range old.ArrayValue() {
			n := new.ArrayValue()[i]
			if o.IsObject() && n.IsObject() && objectForcesNew(p.Items.Properties, o.ObjectValue(), n.ObjectValue()) {
				return true
			}
		}
	}
	return false
}

func objectForcesNew(props map[string]*Prop, old, new resource.PropertyMap) bool {
	for k, p := range props {
		if forcesNew(p, old[resource.PropertyKey(k)], new[resource.PropertyKey(k)]) {
			return true
		}
	}
	return false
}

// anyForceNew: adding or removing a block replaces the resource when any of
// its attributes is ForceNew.
func anyForceNew(props map[string]*Prop) bool {
	for _, p := range props {
		if p.ForceNew || (p.Properties != nil && anyForceNew(p.Properties)) {
			return true
		}
	}
	return false
}

// sameSet compares two arrays as Terraform compares sets: as multisets.
func sameSet(a, b resource.PropertyValue) bool {
	if !a.IsArray() || !b.IsArray() || len(a.ArrayValue()) != len(b.ArrayValue()) {
		return false
	}
	used := make([]bool, len(b.ArrayValue()))
	for _, x := range a.ArrayValue() {
		found := false
		for j, y := range b.ArrayValue() {
			if !used[j] && x.DeepEquals(y) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
