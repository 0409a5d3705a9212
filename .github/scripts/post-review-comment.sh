#!/usr/bin/env bash
# Posts DIR/comment.md (written by `scenario run --comment`) on the pull request named in DIR/pr-number,
# or edits the comment it posted there before: one comment per pull request, found again by the marker
# line it starts with. Used by .github/workflows/scenarios-comment.yml; needs gh, GH_TOKEN, REPO
# (owner/name) and HEAD_SHA (the commit the pull request's run tested). Both files come from a run of
# the pull request's own code, so they are only read as text: the number must be digits, and that
# pull request's head must still be HEAD_SHA (an older run's comment never overwrites a newer one).
set -euo pipefail
dir="${1:?usage: post-review-comment.sh DIR}"
marker='<!-- scenario-review-summary -->'
number="$(head -c 32 "$dir/pr-number" | tr -d '\n')"
if ! [[ "$number" =~ ^[0-9]{1,10}$ ]]; then
  echo "post-review-comment: $dir/pr-number does not hold a pull request number" >&2
  exit 1
fi
body="$dir/comment.md"
if [ "$(head -n 1 "$body")" != "$marker" ]; then
  echo "post-review-comment: $body does not start with $marker" >&2
  exit 1
fi
chars="$(LC_ALL=C.UTF-8 wc -m < "$body")"
if [ "$chars" -gt 65536 ]; then
  echo "post-review-comment: $body has $chars characters; a comment holds 65536" >&2
  exit 1
fi
head_sha="$(gh api "repos/$REPO/pulls/$number" --jq .head.sha)"
if [ "$head_sha" != "$HEAD_SHA" ]; then
  echo "post-review-comment: pull request #$number is now at $head_sha, not $HEAD_SHA; a later run will comment"
  exit 0
fi
id="$(gh api --paginate "repos/$REPO/issues/$number/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\") | select(.body | startswith(\"$marker\")) | .id" | head -n 1)"
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$REPO/issues/comments/$id" -F "body=@$body" > /dev/null
  echo "post-review-comment: updated comment $id on #$number"
else
  gh api --method POST "repos/$REPO/issues/$number/comments" -F "body=@$body" > /dev/null
  echo "post-review-comment: commented on #$number"
fi
