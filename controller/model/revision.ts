/** The revision a Spec, a Desired state and a Plan were made from. */
export interface RevisionInfo {
  source: string;
  ref: string;
  commit: string;
  worktree: boolean;
}
