import { test, expect } from '../harness/fixtures';

test('empty state, then a dropped file uploads', async ({ tusk }) => {
  await tusk.open();
  await expect(tusk.page.getByRole('heading', { name: /Drop files or folders/ })).toBeVisible();
});
